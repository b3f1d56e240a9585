#!/usr/bin/python3
"""Writes tests/template/cases/ from the table below (run it after editing;
the generated files are committed so each case can be read on its own).
Each case: name, modes, template, context."""
import json
import os

J = "jinja2"
JK = "jinja2-keep"
N = "nunjucks"
B = "backstage"
BOTH = [J, N]
ALL = [J, JK, N]

SVC = {"name": "checkout", "team": "payments", "replicas": 3, "port": 8080,
       "env": {"LOG_LEVEL": "info", "REGION": "eu-west-1"},
       "tags": ["web", "Tier1", "pci", "web"],
       "owners": [{"name": "ann", "age": 41}, {"name": "Bob", "age": 29}, {"name": "cy", "age": 35}],
       "enabled": True, "ratio": 0.25, "nothing": None, "empty": [], "emptystr": "",
       "nested": {"a": {"b": {"c": "deep"}}}, "count": 7, "neg": -3, "big": 123456789012,
       "pi": 3.14159, "words": "the quick  brown fox", "csv": "a,b,,c",
       "mixed": "Hello World-foo bar_baz", "ns": "team-a"}

cases = [
    # text and whitespace
    ("text_only", ALL + [B], "plain text\nno tags at all\n", {}),
    ("trailing_newline", ALL, "line {{ 1 }}\n", {}),
    ("two_trailing_newlines", ALL, "x\n\n", {}),
    ("crlf", [J, JK, N], "a\r\nb {{ 'c' }}\r\n", {}),
    ("ws_control", BOTH, "a  {{- ' b ' -}}  c\n  {%- if true -%}\n  d\n  {%- endif %}\ne", {}),
    ("ws_comment", BOTH, "a {#- comment -#} b\n{# plain #}c", {}),
    ("ws_block_newlines", BOTH, "{% for i in [1,2] %}\n{{ i }}\n{% endfor %}\n", {}),
    ("raw_block", BOTH, "{% raw %}{{ not rendered }} {% if %}{% endraw %} after", {}),
    ("raw_ws", BOTH, "x {%- raw -%}  {{ y }}  {%- endraw -%} z", {}),
    ("comment_multiline", BOTH, "a{# line1\nline2 {{ x }} #}b", {}),
    # literals and printing
    ("print_ints_floats", BOTH, "{{ 1 }} {{ -2 }} {{ 3.5 }} {{ 1.0 }} {{ 10 / 4 }} {{ 9 / 3 }} {{ 2 ** 10 }} {{ 2.5 * 2 }}", {}),
    ("print_float_repr", BOTH, "{{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 100000000000000000000.0 }} {{ 0.0001 }} {{ 0.000001 }} {{ 123456789.125 }}", {}),
    ("print_bools", BOTH, "{{ true }} {{ false }} {{ True }} {{ not true }}", {}),
    ("print_none_j2", [J], "{{ none }} {{ None }}", {}),
    ("print_none_nj", [N], "{{ none }}", {}),
    ("print_list", BOTH, "{{ [1, 2, 3] }} {{ ['a', \"b'c\"] }} {{ [] }} {{ [[1, 2], [3]] }}", {}),
    ("print_dict", BOTH, "{{ {'a': 1, 'b': [true, none]} }}", {}),
    ("print_ctx_values", BOTH, "{{ tags }} {{ env }} {{ ratio }} {{ replicas }} {{ big }} {{ enabled }}", SVC),
    ("print_ctx_null", BOTH, "{{ nothing }}", SVC),
    ("print_tuple", [J], "{{ (1, 2) }} {{ (1,) }} {{ () }}", {}),
    ("string_escapes", BOTH, "{{ 'a\\tb' }}|{{ \"q\\\"q\" }}|{{ 'it\\'s' }}|{{ 'n\\nl' }}", {}),
    ("string_repr_quotes", [J], "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\t'] }}", {}),
    ("adjacent_strings", [J], "{{ 'a' 'b' \"c\" }}", {}),
    ("unicode_text", BOTH, "héllo {{ name }} — ünïcode ✓ {{ 'ß'|upper }} {{ 'naïve'|length }}", {"name": "zoë"}),
    # variables, attributes, subscripts
    ("attr_access", BOTH, "{{ env.LOG_LEVEL }} {{ env['REGION'] }} {{ nested.a.b.c }} {{ nested['a']['b'].c }}", SVC),
    ("index_access", BOTH, "{{ tags[0] }} {{ tags[3] }} {{ owners[1].name }} {{ owners[2]['age'] }}", SVC),
    ("negative_index", [J], "{{ tags[-1] }} {{ tags[-2] }}", SVC),
    ("dot_index", BOTH, "{{ tags.0 }} {{ owners.1.name }}", SVC),
    ("string_index", BOTH, "{{ name[0] }}{{ name[1] }}", SVC),
    ("slicing", [J], "{{ tags[1:3] }} {{ tags[:2] }} {{ tags[::2] }} {{ tags[::-1] }} {{ name[1:4] }} {{ name[-3:] }}", SVC),
    ("undefined_var", BOTH, "a {{ missing }} b", {}),
    ("undefined_attr", BOTH, "{{ env.MISSING }}", SVC),
    ("undefined_deep", BOTH, "{{ missing.deeper.still }}", {}),
    ("undefined_in_if_j2", [J], "{% if missing %}y{% else %}n{% endif %}", {}),
    ("undefined_in_if_nj", [N], "{% if missing %}y{% else %}n{% endif %}", {}),
    ("undefined_attr_if", BOTH, "{% if env.MISSING %}y{% else %}n{% endif %}", SVC),
    ("undefined_in_for_nj", [N], "{% for x in missing %}{{ x }}{% else %}none{% endfor %}", {}),
    ("undefined_in_for_j2", [J], "{% for x in missing %}{{ x }}{% else %}none{% endfor %}", {}),
    ("undefined_default", BOTH, "{{ missing | default('dflt') }} {{ env.NOPE | default('x') }} {{ missing | d('d') }}", SVC),
    ("defined_tests", BOTH, "{{ missing is defined }} {{ name is defined }} {{ missing is undefined }} {{ env.X is defined }}", SVC),
    ("undefined_concat", BOTH, "{{ 'a' ~ missing }}", {}),
    ("undefined_arith", [J], "{{ missing + 1 }}", {}),
    ("undefined_filter", BOTH, "{{ missing | upper }}", {}),
    ("undefined_set_ok", BOTH, "{% set x = missing %}ok", {}),
    ("null_default", BOTH, "[{{ nothing | default('d') }}]", SVC),
    ("null_default_bool", BOTH, "[{{ nothing | default('d', true) }}] [{{ emptystr | default('e', true) }}] [{{ 0 | default('z', true) }}]", SVC),
    # operators
    ("arith", BOTH, "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 3 ** 2 }}", {}),
    ("arith_ctx", BOTH, "{{ replicas * 2 }} {{ port + 1 }} {{ ratio * 4 }} {{ count / 2 }} {{ neg * -1 }} {{ pi * 2 }}", SVC),
    ("arith_precedence", BOTH, "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }} {{ -2 ** 2 }}", {}),
    ("string_plus", BOTH, "{{ 'a' + 'b' }} {{ name + '-' + team }}", SVC),
    ("string_plus_number_j2", [J], "{{ 'a' + 1 }}", {}),
    ("string_plus_number_nj", [N], "{{ 'a' + 1 }} {{ 1 + '2' }} {{ '3' * 2 }}", {}),
    ("list_plus", [J], "{{ [1] + [2, 3] }} {{ 'ab' * 3 }}", {}),
    ("division_by_zero_j2", [J], "{{ 1 / 0 }}", {}),
    ("division_by_zero_nj", [N], "{{ 1 / 0 }} {{ -1 / 0 }} {{ 0 / 0 }}", {}),
    ("tilde_concat", BOTH, "{{ 'a' ~ 1 ~ true ~ 2.5 }} {{ name ~ '-' ~ replicas }} {{ tags ~ '' }}", SVC),
    ("tilde_precedence", BOTH, "{{ 1 ~ 2 * 3 }}", {}),
    ("comparisons", BOTH, "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 'x' != 'y' }} {{ replicas >= 3 }}", SVC),
    ("compare_chain", [J], "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", {}),
    ("compare_mixed_j2", [J], "{{ 1 < 'a' }}", {}),
    ("loose_equality_nj", [N], "{{ 1 == '1' }} {{ 0 == false }} {{ none == missing }}", {}),
    ("in_operator", BOTH, "{{ 'web' in tags }} {{ 'x' in tags }} {{ 'eck' in name }} {{ 'LOG_LEVEL' in env }} {{ 'zz' not in tags }}", SVC),
    ("logic", BOTH, "{{ true and false }} {{ true or false }} {{ not false }} {{ 0 or 'x' }} {{ '' and 'y' }} {{ 'a' and 'b' }} {{ none or 5 }}", {}),
    ("logic_precedence", BOTH, "{{ not true or true }} {{ true or false and false }} {{ not 1 == 2 }}", {}),
    ("truthiness_empty_list", BOTH, "{% if empty %}T{% else %}F{% endif %}{% if {} %}T{% else %}F{% endif %}{% if 0.0 %}T{% else %}F{% endif %}{% if 'a' %}T{% endif %}", SVC),
    ("inline_if", BOTH, "{{ 'yes' if enabled else 'no' }} {{ 'a' if false else 'b' if true else 'c' }} {{ replicas if replicas > 1 else 1 }}", SVC),
    ("inline_if_no_else", BOTH, "[{{ 'x' if false }}]", {}),
    # tests
    ("tests_types", [J], "{{ 1 is number }} {{ 'a' is string }} {{ none is none }} {{ env is mapping }} {{ tags is iterable }} {{ 1 is string }} {{ tags is sequence }}", SVC),
    ("tests_types_nj", [N], "{{ 1 is number }} {{ 'a' is string }} {{ nothing is null }} {{ env is mapping }} {{ tags is iterable }} {{ 1 is string }}", SVC),
    ("tests_even_odd", BOTH, "{{ 2 is even }} {{ 3 is odd }} {{ replicas is even }} {{ count is odd }}", SVC),
    ("tests_divisibleby", BOTH, "{{ 9 is divisibleby(3) }} {{ 10 is divisibleby(3) }}", {}),
    ("tests_divisibleby_space", [J], "{{ 9 is divisibleby 3 }} {{ x is sameas false }}", {"x": False}),
    ("tests_sameas", BOTH, "{{ none is sameas(none) }} {{ true is sameas(true) }} {{ enabled is sameas(true) }}", SVC),
    ("tests_negated", BOTH, "{{ 1 is not string }} {{ missing is not defined }} {% if name is not none %}ok{% endif %}", SVC),
    ("tests_none_nj", [N], "{{ nothing is none }}", SVC),
    ("tests_in_if", BOTH, "{% if env.REGION is defined and env.REGION %}{{ env.REGION }}{% endif %}", SVC),
    ("tests_lower_upper", BOTH, "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }}", {}),
    ("tests_eq", BOTH, "{{ 1 is eq(1) }} {{ 'a' is equalto('b') }} {{ 3 is gt(2) }} {{ 3 is lt(2) }} {{ 3 is ne(3) }}", {}),
    ("unknown_test", BOTH, "{{ 1 is wobbly }}", {}),
    # if / for / set
    ("if_elif_else", BOTH, "{% for n in [1, 2, 3, 4] %}{% if n == 1 %}one{% elif n == 2 %}two{% elif n == 3 %}three{% else %}many{% endif %} {% endfor %}", {}),
    ("elseif_nj", [N], "{% if false %}a{% elseif true %}b{% endif %}", {}),
    ("nested_if", BOTH, "{% if enabled %}{% if replicas > 2 %}big{% else %}small{% endif %}{% endif %}", SVC),
    ("for_loop_vars", BOTH, "{% for t in tags %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }} {% endfor %}", SVC),
    ("for_else", BOTH, "{% for x in empty %}{{ x }}{% else %}nothing{% endfor %}|{% for x in [1] %}{{ x }}{% else %}nothing{% endfor %}", SVC),
    ("for_unpack_pairs", BOTH, "{% for a, b in [[1, 'x'], [2, 'y']] %}{{ a }}={{ b }};{% endfor %}", {}),
    ("for_dict_items_j2", [J], "{% for k, v in env.items() %}{{ k }}={{ v }};{% endfor %} {% for k in env %}{{ k }},{% endfor %} {{ env.keys()|list }} {{ env.values()|list }}", SVC),
    ("for_dict_nj", [N], "{% for k, v in env %}{{ k }}={{ v }};{% endfor %}", SVC),
    ("for_items_nj_error", [N], "{% for k, v in env.items() %}{{ k }}{% endfor %}", SVC),
    ("for_filter_j2", [J], "{% for o in owners if o.age > 30 %}{{ o.name }}({{ loop.index }}/{{ loop.length }}) {% endfor %}", SVC),
    ("for_nested_loop", BOTH, "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("for_string", BOTH, "{% for c in 'abc' %}[{{ c }}]{% endfor %}", {}),
    ("for_range", BOTH, "{% for i in range(3) %}{{ i }}{% endfor %} {% for i in range(1, 10, 3) %}{{ i }},{% endfor %} {% for i in range(5, 0, -2) %}{{ i }}{% endfor %}", {}),
    ("for_objects", BOTH, "{% for o in owners %}- {{ o.name }}: {{ o.age }}\n{% endfor %}", SVC),
    ("for_none_j2", [J], "{% for x in nothing %}{{ x }}{% endfor %}", SVC),
    ("for_scope_j2", [J], "{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}", {}),
    ("for_scope_nj", [N], "{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{% endfor %}{{ x }}", {}),
    ("loop_var_after", BOTH, "{% for i in [1, 2] %}{% endfor %}{{ i is defined }}", {}),
    ("set_basic", BOTH, "{% set a = 5 %}{% set b = a * 2 %}{{ a }} {{ b }} {% set c = [a, b] %}{{ c|join('+') }}", {}),
    ("set_multiple", [J], "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set x, y = [3, 4] %}{{ x }}{{ y }}", {}),
    ("set_multiple_nj", [N], "{% set a, b = 7 %}{{ a }}{{ b }}", {}),
    ("set_block", BOTH, "{% set body %}hello {{ name }}{% endset %}[{{ body }}] {{ body|upper }}", SVC),
    ("set_block_filter_j2", [J], "{% set body | upper %}hello {{ name }}{% endset %}[{{ body }}]", SVC),
    ("set_overrides_ctx", BOTH, "{{ name }} {% set name = 'other' %}{{ name }}", SVC),
    ("namespace_j2", [J], "{% set ns = namespace(total=0, seen=[]) %}{% for o in owners %}{% set ns.total = ns.total + o.age %}{% endfor %}{{ ns.total }}", SVC),
    ("dict_literal_keys_nj", [N], "{% set d = {a: 1, 'b': 2} %}{{ d.a }}{{ d.b }}", {}),
    # macros and call
    ("macro_basic", BOTH, "{% macro greet(who, punct='!') %}Hi {{ who }}{{ punct }}{% endmacro %}{{ greet('ann') }} {{ greet('bob', '?') }} {{ greet(who='cy') }}", {}),
    ("macro_loop", BOTH, "{% macro label(k, v) %}{{ k }}: \"{{ v }}\"{% endmacro %}{% for k, v in [['app', name], ['team', team]] %}\n  {{ label(k, v) }}{% endfor %}\n", SVC),
    ("macro_caller", BOTH, "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ name }}{% endcall %}", SVC),
    ("macro_caller_args", BOTH, "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}<{{ item }}>{% endcall %}", {}),
    ("macro_sees_globals", BOTH, "{% macro n() %}{{ name }}{% endmacro %}{{ n() }}", SVC),
    ("macro_missing_arg_j2", [J], "{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}", {}),
    ("macro_too_many_args_j2", [J], "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("filter_block", BOTH, "{% filter upper %}shout {{ name }}{% endfilter %}", SVC),
    # filters
    ("f_case", BOTH, "{{ 'Hello World'|lower }} {{ name|upper }} {{ 'hello big world'|title }} {{ 'hELLO wORLD'|capitalize }} {{ mixed|title }}", SVC),
    ("f_title_punct", BOTH, "{{ 'foo-bar (baz) [qux] {x} <y>'|title }}", {}),
    ("f_replace", BOTH, "{{ 'a-b-c'|replace('-', '_') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ name|replace('out', 'in') }} {{ 'abc'|replace('', '.') }}", SVC),
    ("f_trim", BOTH, "[{{ '  padded \\n'|trim }}] [{{ '\\t x '|trim }}]", {}),
    ("f_trim_chars_j2", [J], "[{{ '--x--'|trim('-') }}]", {}),
    ("f_join", BOTH, "{{ tags|join(', ') }} {{ tags|join }} {{ [1, 2, 3]|join('-') }} {{ owners|join(', ', attribute='name') }}", SVC),
    ("f_join_nj_attr", [N], "{{ owners|join(', ', 'name') }}", SVC),
    ("f_split_ext", BOTH, "{{ csv|split(',')|join('|') }} {{ 'a b'|split(' ')|length }}", SVC),
    ("f_split_ws_j2", [J], "{{ words|split }} {{ words|split(none, 1) }}", SVC),
    ("f_length", BOTH, "{{ tags|length }} {{ name|length }} {{ env|length }} {{ []|length }} {{ ''|length }}", SVC),
    ("f_count_j2", [J], "{{ tags|count }}", SVC),
    ("f_first_last", BOTH, "{{ tags|first }} {{ tags|last }} {{ name|first }} {{ name|last }} {{ (owners|first).name }}", SVC),
    ("f_first_empty_j2", [J], "{{ empty|first }}", SVC),
    ("f_sort", BOTH, "{{ tags|sort|join(',') }} {{ [3, 1, 2]|sort|join(',') }} {{ tags|sort(true)|join(',') }}", SVC),
    ("f_sort_attr_j2", [J], "{{ owners|sort(attribute='age')|map(attribute='name')|join(',') }} {{ owners|sort(attribute='name', case_sensitive=true)|map(attribute='name')|join(',') }} {{ owners|sort(reverse=true, attribute='name')|map(attribute='name')|join(',') }}", SVC),
    ("f_sort_attr_nj", [N], "{% for o in owners|sort(false, false, 'age') %}{{ o.name }},{% endfor %} {% for o in owners|sort(true, true, 'name') %}{{ o.name }},{% endfor %}", SVC),
    ("f_unique_j2", [J], "{{ tags|unique|join(',') }} {{ ['a', 'A', 'b']|unique|list }} {{ ['a', 'A']|unique(case_sensitive=true)|list }}", SVC),
    ("f_unique_nj_missing", [N], "{{ tags|unique }}", SVC),
    ("f_list", BOTH, "{{ 'abc'|list }} {{ tags|list|length }}", SVC),
    ("f_list_dict_j2", [J], "{{ env|list }}", SVC),
    ("f_list_dict_nj", [N], "{% for e in env|list %}{{ e.key }}={{ e.value }};{% endfor %}", SVC),
    ("f_int", BOTH, "{{ '42'|int }} {{ 3.9|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '-5'|int + 1 }} {{ true|int }}", {}),
    ("f_int_j2", [J], "{{ '3.7'|int }} {{ ' 12 '|int }} {{ '1_000'|int }} {{ '12abc'|int }}", {}),
    ("f_int_nj", [N], "{{ '3.7'|int }} {{ ' 12 '|int }} {{ '12abc'|int }}", {}),
    ("f_float", BOTH, "{{ '2.5'|float }} {{ 3|float }} {{ 'x'|float }} {{ '1e3'|float }}", {}),
    ("f_string", BOTH, "{{ 5|string }} {{ (5|string) ~ 'x' }} {{ true|string }}", {}),
    ("f_round", BOTH, "{{ 3.14159|round }} {{ 3.14159|round(2) }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 3.7|round(0, 'floor') }} {{ 3.2|round(0, 'ceil') }} {{ 7|round }}", {}),
    ("f_indent", BOTH, "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'x\\ny\\n'|indent(3) }}", {}),
    ("f_indent_yaml", BOTH, "data:\n  cfg: |\n    {{ body|indent(4) }}\n", {"body": "line one\nline two\n  nested\nlast"}),
    ("f_indent_blank_j2", [J], "{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'a\\nb'|indent('> ') }}", {}),
    ("f_truncate", BOTH, "{{ 'The quick brown fox jumps over the lazy dog'|truncate(20) }}|{{ 'short'|truncate(10) }}|{{ 'abcdefghijklmnop'|truncate(10, true) }}|{{ 'one two three four five'|truncate(12, false, '>>') }}", {}),
    ("f_urlencode", BOTH, "{{ 'a b&c=d/e?f~g'|urlencode }} {{ {'q': 'x y', 'n': 1}|urlencode }} {{ 'ünï'|urlencode }}", {}),
    ("f_tojson", [J], "{{ env|tojson }} {{ tags|tojson }} {{ {'b': 1, 'a': [none, true, 1.5, '<x>&\\'']}|tojson }} {{ 'é'|tojson }} {{ owners|tojson(2) }}", SVC),
    ("f_dump", [N], "{{ env|dump }} {{ tags|dump }} {{ {'b': 1, 'a': [none, true, 1.5, '<x>']}|dump }} {{ 'é'|dump }} {{ owners|dump(2) }}", SVC),
    ("f_jsonify", [J], "{{ env|jsonify }}\n{{ owners|jsonify }}\n{{ []|jsonify }} {{ {}|jsonify }}", SVC),
    ("f_tojson_nj_missing", [N], "{{ env|tojson }}", SVC),
    ("f_dump_j2_missing", [J], "{{ env|dump }}", SVC),
    ("f_b64encode_ext", BOTH, "{{ 'hello world'|b64encode }} {{ 'a'|b64encode }} {{ 'ab'|b64encode }} {{ 'é'|b64encode }}", {}),
    ("f_slugify", [J], "{{ 'Hello World!'|slugify }} {{ \"Don't Stop\"|slugify }} {{ '  --Multiple   spaces__here--'|slugify }} {{ 'Crème Brûlée'|slugify }} {{ '1,000 items'|slugify }} {{ 'My Service'|slugify(separator='_') }} {{ 'a & b'|slugify }} {{ 'CamelCase'|slugify }}", {}),
    ("f_slugify_nj_missing", [N], "{{ 'x'|slugify }}", {}),
    ("f_unknown", BOTH, "{{ name|frobnicate }}", SVC),
    ("f_chain", BOTH, "{{ name|upper|replace('C', 'K')|lower|title }}", SVC),
    ("f_abs_reverse", BOTH, "{{ neg|abs }} {{ tags|reverse|join(',') }} {{ 'abc'|reverse }}", SVC),
    ("f_sum_min_max_j2", [J], "{{ [1, 2, 3]|sum }} {{ owners|sum(attribute='age') }} {{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ owners|max(attribute='age') }}", SVC),
    ("f_selectattr", BOTH, "{% for o in [{'n': 'a', 'on': true}, {'n': 'b', 'on': false}]|selectattr('on') %}{{ o.n }}{% endfor %} {% for o in [{'n': 'a', 'on': true}, {'n': 'b', 'on': false}]|rejectattr('on') %}{{ o.n }}{% endfor %}", {}),
    ("f_map_j2", [J], "{{ owners|map(attribute='name')|join(',') }} {{ tags|map('upper')|join(',') }}", SVC),
    ("f_wordcount_center", BOTH, "{{ words|wordcount }} [{{ 'ab'|center(7) }}] [{{ 'abc'|center(8) }}]", SVC),
    ("f_default_chain", BOTH, "{{ env.PORT | default(port) | string }} {{ missing | default(missing2 | default('deep')) }}", SVC),
    # methods
    ("methods_j2", [J], "{{ name.upper() }} {{ '  x '.strip() }} {{ 'a,b'.split(',') }} {{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('x') }} {{ 'a-b'.replace('-', '+') }} {{ '-'.join(['x', 'y']) }} {{ env.get('REGION') }} {{ env.get('NOPE', 'd') }} {{ '{}-{}'.format('a', 1) }}", SVC),
    ("methods_nj", [N], "{{ name.toUpperCase() }} {{ '  x '.trim() }} {{ 'abc'.startsWith('ab') }} {{ name.length }} {{ tags.length }} {{ tags.join('/') }} {{ 'a,b'.split(',') }} {{ 'abc'.includes('b') }}", SVC),
    ("method_on_missing_nj", [N], "{{ missing.toUpperCase() }}", {}),
    # errors with positions
    ("err_unclosed_if", BOTH, "line1\n{% if true %}\nno end", {}),
    ("err_unclosed_for", BOTH, "{% for x in [1] %}{{ x }}", {}),
    ("err_unclosed_var", BOTH, "a {{ name ", {"name": "x"}),
    ("err_unclosed_comment", BOTH, "a {# never closed", {}),
    ("err_unknown_tag", BOTH, "{% frob %}", {}),
    ("err_stray_endif", BOTH, "x{% endif %}", {}),
    ("err_bad_expr", BOTH, "{{ 1 + }}", {}),
    ("err_unterminated_string", BOTH, "{{ 'abc }}", {}),
    ("err_include", BOTH, "{% include 'other.txt' %}", {}),
    ("err_extends", BOTH, "{% extends 'base.txt' %}", {}),
    ("err_import", BOTH, "{% import 'm.txt' as m %}", {}),
    ("err_mismatched_end", BOTH, "{% if true %}{% endfor %}", {}),
    ("err_call_undefined", BOTH, "{{ nofunc() }}", {}),
    ("err_empty_expr", BOTH, "{{ }}", {}),
    # manifests, the real use
    ("manifest_networkpolicy", ALL, """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {{ namespace }}
  labels:
    app.kubernetes.io/managed-by: sluice
{%- for k, v in labels.items() %}
    {{ k }}: {{ v | tojson }}
{%- endfor %}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""", {"namespace": "team-a", "labels": {"team": "a", "tier": "1"}}),
    ("manifest_deployment", ALL, """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ name }}
  labels:
    team: {{ team | lower }}
spec:
  replicas: {{ replicas | default(1) }}
  template:
    spec:
      containers:
        - name: {{ name }}
          image: "registry.example.com/{{ team }}/{{ name }}:{{ version | default('latest') }}"
          ports:
            - containerPort: {{ port }}
          env:
{%- for k in env | sort %}
            - name: {{ k }}
              value: "{{ env[k] }}"
{%- endfor %}
{%- if enabled %}
          readinessProbe:
            httpGet: { path: /healthz, port: {{ port }} }
{%- endif %}
""", SVC),
    ("manifest_deployment_nj", [N], """metadata:
  name: {{ name }}
spec:
  replicas: {{ replicas | default(1) }}
  env:
{%- for k, v in env %}
    - name: {{ k }}
      value: "{{ v }}"
{%- endfor %}
  tags: {{ tags | join(',') }}
""", SVC),
    ("cookiecutter_style", [J, JK], "{{ cookiecutter.project_name }}\n{{ cookiecutter.project_slug }}\n{% if cookiecutter.use_docker == 'y' %}docker{% endif %}\n{{ cookiecutter.project_name.lower().replace(' ', '_') }}\n{{ cookiecutter.project_name|slugify }}\n", {"cookiecutter": {"project_name": "My Cool Service", "project_slug": "my-cool-service", "use_docker": "y"}}),
    # more: whitespace, scoping, macros, filters with keywords
    ("ws_strip_both_newlines", BOTH, "a\n\n   {%- if true -%}   \n\n b \n\n  {%- endif -%}\n\nc", {}),
    ("ws_var_strip", BOTH, "[ {{- 'x' }} ] [ {{ 'y' -}} ] [\n{{- 'z' -}}\n]", {}),
    ("ws_set_strip", BOTH, "a\n{%- set x = 1 -%}\nb{{ x }}", {}),
    ("ws_for_yaml_list", ALL, "items:\n{%- for t in tags %}\n  - {{ t }}\n{%- endfor %}\nend\n", SVC),
    ("comment_strip_inside_for", BOTH, "{% for i in [1, 2] %}{# c #}{{ i }}{#- c -#} {% endfor %}", {}),
    ("macro_nested_call", BOTH, "{% macro inner(x) %}<{{ x }}>{% endmacro %}{% macro outer(xs) %}{% for x in xs %}{{ inner(x) }}{% endfor %}{% endmacro %}{{ outer([1, 2, 3]) }}", {}),
    ("macro_default_expr", BOTH, "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }} {{ m(3, 1) }}", {}),
    ("macro_in_filter", BOTH, "{% macro m() %}abc{% endmacro %}{{ m() | upper }} {{ m() | length }}", {}),
    ("loop_in_macro_loop_vars", BOTH, "{% macro m(xs) %}{% for x in xs %}{{ loop.index }}{{ x }}{% endfor %}{% endmacro %}{% for y in [[1], [2, 3]] %}{{ m(y) }};{{ loop.index }} {% endfor %}", {}),
    ("set_in_if", BOTH, "{% if true %}{% set x = 'in' %}{% endif %}{{ x }}", {}),
    ("set_in_macro_no_leak", BOTH, "{% set x = 'out' %}{% macro m() %}{% set x = 'in' %}{{ x }}{% endmacro %}{{ m() }} {{ x }}", {}),
    ("for_loop_last_comma", BOTH, "[{% for o in owners %}\"{{ o.name }}\"{% if not loop.last %}, {% endif %}{% endfor %}]", SVC),
    ("for_over_dict_j2_keys", [J], "{% for k in env|sort %}{{ k }}={{ env[k] }} {% endfor %}", SVC),
    ("for_unpack_wrong_j2", [J], "{% for a, b in [1, 2] %}{{ a }}{% endfor %}", {}),
    ("for_reassign_loopvar", BOTH, "{% for i in [1, 2] %}{% set i = i * 10 %}{{ i }} {% endfor %}", {}),
    ("f_default_kw_j2", [J], "{{ missing | default(default_value='kw') }} {{ '' | default('e', boolean=true) }}", {}),
    ("f_sort_kw_reverse_j2", [J], "{{ [3, 1, 2] | sort(reverse=true) | join(',') }} {{ ['b', 'A', 'c'] | sort | join(',') }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) | join(',') }}", {}),
    ("f_truncate_kw_j2", [J], "{{ 'one two three four five six'|truncate(length=12, end='~') }} {{ 'abcdefghij'|truncate(5, killwords=true, leeway=0) }}", {}),
    ("f_indent_first_kw_j2", [J], "{{ 'a\nb'|indent(width=3, first=true) }}", {}),
    ("f_round_kw_j2", [J], "{{ 2.345|round(precision=1) }} {{ 2.345|round(1, method='ceil') }}", {}),
    ("f_replace_count_kw_j2", [J], "{{ 'xxxx'|replace('x', 'y', count=2) }}", {}),
    ("f_join_numbers", BOTH, "{{ [1, 2.5, true]|join('|') }}", {}),
    ("f_length_of_number_j2", [J], "{{ 5|length }}", {}),
    ("f_first_of_dict_j2", [J], "{{ env|first }}", SVC),
    ("f_upper_number", BOTH, "{{ 5|upper }}", {}),
    ("f_title_apostrophe", BOTH, "{{ \"o'neil's cafe\"|title }} {{ 'HELLO wORLD'|title }}", {}),
    ("f_string_of_list_j2", [J], "{{ [1, 'a']|string }} {{ none|string }}", {}),
    ("f_int_float_strings", BOTH, "{{ '  7 '|int }} {{ '0.5'|float }} {{ '-2.5'|float|int }}", {}),
    ("f_list_of_string_join", BOTH, "{{ 'abc'|list|join('-') }}", {}),
    ("f_dump_nested_nj", [N], "{{ {'a': [1, {'b': none}], 'c': 'x\"y'}|dump }} {{ [1, 'two']|dump(2) }}", {}),
    ("f_tojson_unicode_j2", [J], "{{ ['ü', '日本', '😀']|tojson }}", {}),
    ("f_urlencode_list_pairs", BOTH, "{{ [['a', 'b c'], ['d', 'e&f']]|urlencode }}", {}),
    ("slugify_edge_j2", [J], "{{ '---'|slugify }}|{{ 'a--b'|slugify }}|{{ 'Über Straße'|slugify }}|{{ 'x'|slugify(max_length=0) }}|{{ 'Hello World Again'|slugify(max_length=8) }}", {}),
    ("num_formats", BOTH, "{{ 1000000 }} {{ 1.5e300 * 1 if false else 3 }} {{ 0.1 * 3 }} {{ 2 ** 0.5 }} {{ 10 / 3 }} {{ -0.5 }} {{ 100 * 1.1 }}", {}),
    ("big_int_arith_j2", [J], "{{ 9007199254740993 + 1 }} {{ 2 ** 62 }} {{ big * 1000 }}", SVC),
    ("string_compare_order", BOTH, "{{ 'B' < 'a' }} {{ 'abc' < 'abd' }} {{ 'ab' < 'abc' }}", {}),
    ("in_list_of_numbers", BOTH, "{{ 2 in [1, 2, 3] }} {{ 2.0 in [1, 2] }} {{ '2' in ['1', '2'] }}", {}),
    ("nested_ternary_parens", BOTH, "{{ ('a' if true else 'b') ~ ('c' if false else 'd') }}", {}),
    ("unary_minus_filter", BOTH, "{{ -3|abs }} {{ -(3) }} {{ - neg }}", SVC),
    ("attr_on_string_j2", [J], "{{ name.nope }}", SVC),
    ("attr_on_string_nj", [N], "{{ name.nope }}", SVC),
    ("subscript_missing_key_default", BOTH, "{{ env['NOPE'] | default('none') }} {{ tags[10] | default('oob') }}", SVC),
    ("backstage_text_braces", [B], "{{ literal }} ${{ x }} {% if x %}{{ not_var }}{% endif %} ${ {{ 1 }} }", {"x": "v"}),
    ("backstage_ws_control", [B], "a  ${{- x -}}  b", {"x": "v"}),
    ("backstage_json_output", [B], "{\"name\": \"${{ parameters.name }}\", \"tags\": ${{ parameters.tags | dump }}}", {"parameters": {"name": "svc", "tags": ["a", "b"]}}),
    # Backstage
    ("backstage_delims", [B], "name: ${{ parameters.name }}\nraw: {{ not a var }}\nowner: ${{ parameters.owner | parseEntityRef | pick('name') }}\n{% if parameters.enabled %}on{% endif %}\n", {"parameters": {"name": "svc", "owner": "group:default/payments", "enabled": True}}),
    ("backstage_parse_repo_url", [B], "${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}/${{ parameters.repoUrl | parseRepoUrl | pick('repo') }} ${{ parameters.repoUrl | projectSlug }} ${{ parameters.repoUrl | parseRepoUrl | pick('host') }} ${{ (parameters.repoUrl | parseRepoUrl).owner }}", {"parameters": {"repoUrl": "github.com?repo=checkout&owner=acme"}}),
    ("backstage_parse_repo_url_dump", [B], "${{ parameters.repoUrl | parseRepoUrl | dump }}", {"parameters": {"repoUrl": "github.com?owner=acme&repo=x"}}),
    ("backstage_parse_repo_url_bad", [B], "${{ 'github.com?owner=acme' | parseRepoUrl | dump }}", {}),
    ("backstage_parse_entity_ref", [B], "${{ 'group:default/payments' | parseEntityRef | dump }} ${{ 'payments' | parseEntityRef({ defaultKind: 'group', defaultNamespace: 'ops' }) | dump }} ${{ 'user:jane' | parseEntityRef | pick('namespace') }}", {}),
    ("backstage_parse_entity_ref_nokind", [B], "${{ 'payments' | parseEntityRef | dump }}", {}),
    ("backstage_pick_nested", [B], "${{ parameters | pick('a.b') }}", {"parameters": {"a": {"b": "deep"}}}),
    ("backstage_undefined", [B], "${{ parameters.nope }}", {"parameters": {}}),
    # the fast paths of the engine (word-at-a-time case mapping, the
    # context index, names resolved to frame slots by the parser)
    ("fast_case_words", BOTH, "{{ s|upper }}|{{ s|lower }}|{{ s|title }}|{{ u|upper }}|{{ u|lower }}", {"s": "@AZ[`az{~ 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "u": "abcdefgh\u00e9ijk ABCDEFGH\u00c9IJK"}),
    ("fast_title_separators", BOTH, "{{ 'ab\tcd\nef-gh(ij{kl[mn<op qr'|title }}", {}),
    ("fast_keys_long", BOTH, "{{ o.abcdefghX }} {{ o.abcdefghY }} {{ o.abcdefgh }} {{ o['abcdefghY'] }} {{ o.abcdefghZ | default('none') }} {{ o.a }}", {"o": {"abcdefghX": "x", "abcdefghY": "y", "abcdefgh": "8", "a": 1}}),
    ("fast_keys_duplicate", BOTH, "{{ o.k }}", {"o": {"k": "first"}}),
    ("fast_dict_methods_j2", [J], "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.keys() | list }} {{ d.get('x') }} {{ d['items'] }}", {"d": {"x": 1, "items": "key"}}),
    ("fast_numbers", BOTH, "{{ n }} {{ f }} {{ m }} {{ n | string }} {{ m | string }} {{ z | string }} {{ [n, f] | join(',') }} {{ big }}", {"n": 8080, "f": 2.5, "m": -42, "z": 0, "big": 123456789012}),
    ("fast_scope_shadow_set", BOTH, "{% for c in xs %}{% set c = c ~ '!' %}{{ c }}{% endfor %}|{{ c | default('gone') }}", {"xs": ["a", "b"]}),
    ("fast_scope_before_set", BOTH, "{{ x | default('ctx') }}{% set x = 'set' %}{{ x }}{% for i in [1] %}{{ x }}{% endfor %}", {}),
    ("fast_scope_before_set_ctx", BOTH, "{{ x }}{% set x = 'set' %}{{ x }}", {"x": "ctx"}),
    ("fast_scope_conditional", BOTH, "{% if flag %}{% set a = 1 %}{% endif %}{% set b = 2 %}{{ b }}{{ a | default('n') }}{% for i in [1] %}{{ b }}{{ a | default('n') }}{% endfor %}", {"flag": False}),
    ("fast_scope_conditional_on", BOTH, "{% if flag %}{% set a = 1 %}{% endif %}{% set b = 2 %}{{ b }}{{ a }}{% for i in [1] %}{{ b }}{{ a }}{% endfor %}", {"flag": True}),
    ("fast_scope_nested_same_name", BOTH, "{% for x in [1, 2] %}{% for x in [3, 4] %}{{ x }}{{ loop.index }}{% endfor %}{{ x }}{{ loop.index }}|{% endfor %}", {}),
    ("fast_scope_outer_loop_var", BOTH, "{% for o in owners %}{% for t in tags %}{{ o.name }}{{ t }}{{ loop.index }} {% endfor %}{{ loop.index }}{{ loop.length }}|{% endfor %}", SVC),
    ("fast_scope_macro_outer", BOTH, "{% set who = 'top' %}{% macro m(x) %}{{ who }}{{ x }}{% endmacro %}{% for who in ['a', 'b'] %}{{ m(who) }}{% endfor %}{{ m('z') }}", {}),
    ("fast_scope_set_in_loop", BOTH, "{% set n = 0 %}{% for i in [1, 2, 3] %}{% set n = n + i %}{{ n }}{% endfor %}|{{ n }}", {}),
    ("fast_scope_setblock", BOTH, "{% set a %}A{% set b = 'B' %}{{ b }}{% endset %}{% set c = 'C' %}{{ a }}{{ b | default('nb') }}{{ c }}", {}),
    ("fast_scope_for_else", BOTH, "{% for i in empty %}{{ i }}{% else %}{% set e = 'else' %}{% endfor %}{% set f = 'F' %}{{ e | default('ne') }}{{ f }}", {"empty": []}),
    ("fast_scope_filterblock", BOTH, "{% filter upper %}a{% set fb = 'x' %}{{ fb }}{% endfilter %}{{ fb | default('nf') }}", {}),
    ("fast_scope_set_in_loop_new", BOTH, "{% for i in [1, 2] %}{{ seen | default('u') }}{% set seen = i %}{{ seen }}{% endfor %}|{{ seen | default('u') }}", {}),
    ("fast_scope_loop_set_target", BOTH, "{% for i in [1, 2] %}{{ i }}{% set i = i * 10 %}{{ i }} {% endfor %}", {}),
    ("fast_loop_empty_ctx_array", BOTH, "{% for i in empty %}x{% else %}none{% endfor %}{% for o in owners %}{{ o.age }}{% if not loop.last %},{% endif %}{% endfor %}", SVC),
    ("fast_replace_one_byte", BOTH, "{{ 'a-b-c' | replace('-', '_') }} {{ 'a-b-c' | replace('-', '') }} {{ 'aXbXc' | replace('X', '--') }} {{ '---' | replace('-', '+') }} {{ 'abc' | replace('-', '_') }}", {}),
    ("backstage_nunjucks_filters", [B], "${{ parameters.name | upper }} ${{ parameters.name | replace('-', '_') }} ${{ parameters.tags | join(',') }} ${{ parameters.tags | length }}", {"parameters": {"name": "my-svc", "tags": ["a", "b"]}}),
    # Jinja2 generators (map, select, reject, selectattr, rejectattr, batch, unique, items, reverse)
    ("generator_use_j2", [J], "{{ xs|select('odd')|reverse|length }} {{ (xs|map('string'))[0]|default('u') }} {% if []|select %}T{% endif %} {% if os|selectattr('a') %}Y{% endif %} {{ xs|select('odd') is sequence }} {{ xs|select('odd') is iterable }} {{ xs|reverse|list }} {{ xs|unique|first }} {% for x in xs|select('even') %}{{ loop.length }}{{ loop.last }}{% endfor %}", {"xs": [1, 2, 3, 4], "os": [{"a": 1}, {"a": 0}]}),
    ("generator_length_j2", [J], "{{ xs|select('odd')|length }}", {"xs": [1, 2, 3]}),
    ("generator_map_length_j2", [J], "{{ os|map(attribute='a')|length }}", {"os": [{"a": 1}]}),
    ("generator_last_j2", [J], "{{ xs|reverse|last }}", {"xs": [1, 2]}),
    ("generator_tojson_j2", [J], "{{ xs|batch(2)|tojson }}", {"xs": [1, 2]}),
    ("generator_index_j2", [J], "{{ (xs|selectattr('a'))[0] }}", {"xs": [{"a": 1}]}),
    ("generator_nj_arrays", [N], "{{ xs|select('odd')|length }} {{ (xs|reverse)[0] }} {{ xs|batch(2)|length }} {% if []|select %}T{% endif %}", {"xs": [1, 2, 3]}),
    ("generator_falsy_input_j2", [J], "{{ n|select|list|length }}{{ n|map('upper')|list|length }}{{ ''|selectattr('x')|list|length }}{{ 0|reject|list|length }}", {"n": None}),
    ("select_not_iterable_j2", [J], "{{ 5|select|list }}", {}),
    ("select_object_nj", [N], "{{ d|select|length }} {{ 'abc'|reject('lower')|length }} {{ 5|select|length }}", {"d": {"a": 1}}),
    ("select_null_nj", [N], "{{ n|select|length }}", {"n": None}),
    ("f_batch_edge", BOTH, "{{ xs|batch(0)|list|length }} {{ xs|batch(1.5)|list|length }} {{ xs|batch(-1)|list|length }} {{ []|batch(0)|list|length }} {{ xs|batch(2.5, 0)|list|length }} {{ 'abcde'|batch(2)|list|length }}", {"xs": [3, 1, 2]}),
    ("f_groupby_not_objects", BOTH, "{{ xs|groupby('x')|list|length }}", {"xs": [3, 1]}),
    # with blocks, loop.cycle / loop.changed, cycler / joiner
    ("with_block_j2", [J], "{% set a = 1 %}{% with a = a + 1, b = a %}{{ a }}{{ b }}{% set c = 3 %}{{ c }}{% endwith %}{{ a }}{{ c is defined }}|{% with %}empty{% endwith %}|{% with x = name %}{% with y = x ~ '!' %}{{ x }}{{ y }}{% endwith %}{% endwith %}", SVC),
    ("with_scopes_j2", [J], "{% for i in [1, 2] %}{% with j = i * 10 %}{{ j }}{{ i }}{{ loop.index }}{% endwith %}{% endfor %}{{ j is defined }}|{% with a = 1 %}{% for i in [1] %}{{ a }}{% set a = 5 %}{{ a }}{% endfor %}{{ a }}{% endwith %}|{% with a = 1 %}{% if true %}{% set b = a + 1 %}{% endif %}{{ b }}{% macro m() %}{{ a }}{{ b }}{% endmacro %}{{ m() }}{% endwith %}|{% set ns = namespace(n=0) %}{% with a = 2 %}{% set ns.n = a %}{% endwith %}{{ ns.n }}", {}),
    ("with_resolver_j2", [J], "{% set x = 1 %}{% with %}{{ x }}{% set x = 2 %}{{ x }}{% endwith %}{{ x }}|{% with y = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 5 %}{{ x }}{% endfor %}{{ x }}{% endwith %}|{% with y = 3 %}{% set body %}{{ y }}{% set z = 1 %}{% endset %}{{ body }}{% filter upper %}{{ y }}a{% endfilter %}{% endwith %}|{% with x = 1 %}{% with x = x + 1 %}{% with x = x * 10 %}{{ x }}{% endwith %}{{ x }}{% endwith %}{{ x }}{% endwith %}|{% with q = 1 %}{% macro m() %}{{ q }}{% endmacro %}{% endwith %}{{ m is defined }}|{% if true %}{% with a = 1 %}{% set b = 2 %}{% endwith %}{% endif %}{{ b is defined }}{% set c = 3 %}{{ c }}", {}),
    ("with_in_macro_j2", [J], "{% macro m() %}{% with q = 5 %}{{ q }}{{ caller() }}{% endwith %}{% endmacro %}{% call m() %}{{ q is defined }}{% endcall %} {% with a = missing %}{{ a | default('d') }}{% endwith %}", {}),
    ("with_undefined_j2", [J], "{% with a = missing %}{{ a }}{% endwith %}", {}),
    ("with_syntax_j2", [J], "{% with a = 1 b = 2 %}{% endwith %}", {}),
    ("with_unclosed_j2", [J], "{% with a = 1 %}{{ a }}", {}),
    ("with_stray_end_j2", [J], "x{% endwith %}", {}),
    ("with_nj", [N], "{% with a = 1 %}{{ a }}{% endwith %}", {}),
    ("loop_cycle_j2", [J], "{% for x in xs %}{{ loop.cycle('odd', 'even') }}-{{ loop.cycle(1, 2, 3) }} {% endfor %}|{% for x in [1, 2, 3] if x > 1 %}{{ loop.cycle('a', 'b') }}{% endfor %}", {"xs": [1, 2, 3, 4]}),
    ("loop_cycle_empty_j2", [J], "{% for x in [1] %}{{ loop.cycle() }}{% endfor %}", {}),
    ("loop_cycle_nj", [N], "{% for x in [1] %}{{ loop.cycle(1, 2) }}{% endfor %}", {}),
    ("loop_changed_j2", [J], "{% for x in xs %}{% if loop.changed(x.g) %}[{{ x.g }}]{% endif %}{{ x.n }}{% endfor %}|{% for x in xs %}{{ loop.changed() }}{{ loop.changed(x.g, 1) }} {% endfor %}|{% for x in [1, 1] %}{% for y in [1, 2] %}{{ loop.changed(x) }}{% endfor %}{% endfor %}", {"xs": [{"g": "a", "n": 1}, {"g": "a", "n": 2}, {"g": "b", "n": 3}, {"g": "a", "n": 4}]}),
    ("cycler_joiner", BOTH, "{% set c = cycler('odd', 'even') %}{% for x in [1, 2, 3] %}{{ c.next() }}/{{ c.current }} {% endfor %}{% set j = joiner() %}{% set k = joiner(' | ') %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %} {% for x in [1, 2] %}{{ k() }}{{ x }}{% endfor %}", {}),
    ("cycler_reset_j2", [J], "{% set c = cycler('a', 'b', 'c') %}{{ c.next() }}{{ c.next() }}{{ c.reset() }}{{ c.current }}{{ c.next() }}", {}),
    ("cycler_reset_nj", [N], "{% set c = cycler('a', 'b', 'c') %}{{ c.next() }}{{ c.next() }}{% set _ = c.reset() %}{{ c.next() }}{{ c.current }}", {}),
    ("cycler_empty", BOTH, "{% set c = cycler() %}{{ c.next() }}", {}),
    # collection filters (dictsort, batch, groupby, select/reject, items, attr)
    ("f_dictsort", BOTH, "{% for k, v in d|dictsort %}{{ k }}={{ v }},{% endfor %}|{% for k, v in d|dictsort(true) %}{{ k }},{% endfor %}|{% for k, v in d|dictsort(false, 'value') %}{{ k }},{% endfor %}", {"d": {"b": 2, "A": 1, "c": 3, "a_b": 0, "ab": 5}}),
    ("f_dictsort_mixed_nj", [N], "{{ d|dictsort(false, 'value')|dump }} {{ e|dictsort(false, 'value')|dump }} {{ f|dictsort(false, 'value')|dump }} {{ g|dictsort|dump }}", {"d": {"b": 0, "10": 2, "a_b": "X"}, "e": {"z9": 2.5, "É": "b", "a": 1, "é": None, "A": "X", "b": True}, "f": {"a": -3, "ü": 2.5, "10": -3, "Z": 0}, "g": {"b": 1, "B": 2, "2": 3, "10": 4, "a": 5}}),
    ("f_dictsort_print", BOTH, "{{ d|dictsort }} {{ (d|dictsort)[0][0] }}", {"d": {"y": "1", "x": "2"}}),
    ("f_dictsort_reverse_j2", [J], "{{ d|dictsort(reverse=true) }} {{ d|dictsort(by='value', reverse=true) }} {{ d|dictsort(case_sensitive=true) }}", {"d": {"b": 2, "A": 1, "c": 3, "a_b": 0}}),
    ("f_dictsort_bad_by", BOTH, "{{ d|dictsort(false, 'size') }}", {"d": {"a": 1}}),
    ("f_dictsort_list", BOTH, "{{ xs|dictsort }}", {"xs": [1, 2]}),
    ("f_dictsort_mixed_j2", [J], "{{ d|dictsort(by='value') }}", {"d": {"a": 1, "b": "x"}}),
    ("f_batch", BOTH, "{% for row in xs|batch(3) %}[{{ row|join(',') }}]{% endfor %} {% for row in xs|batch(3, 0) %}[{{ row|join(',') }}]{% endfor %} {% for row in xs|batch(7) %}{{ row|length }}{% endfor %} {{ []|batch(2)|list|length }}", {"xs": [1, 2, 3, 4, 5, 6, 7]}),
    ("f_batch_list_j2", [J], "{{ xs|batch(2)|list }} {{ 'abcde'|batch(2, '-')|list }} {{ xs|batch(2, none)|list }}", {"xs": [1, 2, 3]}),
    ("f_batch_nj", [N], "{{ xs|batch(2) }} {{ xs|batch(2, 'x')|dump }} {{ xs|batch(2, 0)|dump }}", {"xs": [1, 2, 3]}),
    ("f_groupby_j2", [J], "{% for city, items in users|groupby('city') %}{{ city }}: {{ items|map(attribute='n')|join(',') }}; {% endfor %}|{% for g in users|groupby('city', case_sensitive=true) %}{{ g.grouper }}={{ g.list|length }} {% endfor %}|{{ (users|groupby('city'))[0] }}", {"users": [{"n": "a", "city": "NY"}, {"n": "b", "city": "ca"}, {"n": "c", "city": "CA"}, {"n": "d", "city": "NY"}]}),
    ("f_groupby_nested_default_j2", [J], "{% for g, xs in items|groupby('meta.team', default='none') %}{{ g }}:{{ xs|length }} {% endfor %}{% for g in [[2, 'a'], [1, 'b'], [2, 'c']]|groupby(0) %}{{ g.grouper }}{{ g.list|map('last')|join }} {% endfor %}", {"items": [{"meta": {"team": "b"}}, {"meta": {}}, {"meta": {"team": "a"}}, {"meta": {"team": "b"}}]}),
    ("f_groupby_missing_j2", [J], "{% for g, xs in items|groupby('team') %}{{ g }}{% endfor %}", {"items": [{"team": "a"}, {"x": 1}]}),
    ("f_groupby_nj", [N], "{% for city, items in users|groupby('city') %}{{ city }}: {{ items|length }}; {% endfor %}|{{ (users|groupby('city')).NY|length }}|{% for k, v in nums|groupby('n') %}{{ k }}{% endfor %}", {"users": [{"n": "a", "city": "NY"}, {"n": "b", "city": "ca"}, {"n": "c", "city": "CA"}, {"n": "d", "city": "NY"}], "nums": [{"n": "b"}, {"n": 10}, {"n": 2}, {"n": "a"}]}),
    ("f_groupby_missing_nj", [N], "{% for k, v in items|groupby('team') %}{{ k }}{% endfor %}", {"items": [{"team": "a"}, {"x": 1}]}),
    ("f_select_reject", BOTH, "{{ xs|select('odd')|join(',') }} {{ xs|reject('odd')|join(',') }} {{ xs|select('divisibleby', 3)|join(',') }} {{ [0, 1, '', 'a']|select|join(',') }} {{ [0, 1, '', 'a']|reject|list|length }} {{ names|select('lower')|join(',') }}", {"xs": [1, 2, 3, 4, 5, 6], "names": ["ann", "Bob", "cy"]}),
    ("f_select_tests_j2", [J], "{{ xs|select('gt', 2)|list }} {{ xs|reject('in', [1, 3])|list }} {{ [none, 1, 'a']|select('none')|list }} {{ [1, 'a', 2.5]|select('number')|list }} {{ [1, 'a']|select('string')|first }}", {"xs": [1, 2, 3, 4]}),
    ("f_select_tests_nj", [N], "{{ xs|select('gt', 2) }} {{ [none, 1, 'a']|select('null')|length }} {{ [1, 'a', 2.5]|select('number') }}", {"xs": [1, 2, 3, 4]}),
    ("f_select_unknown_test", BOTH, "{{ xs|select('wobbly')|join }}", {"xs": [1]}),
    ("f_select_unknown_test_empty_j2", [J], "[{{ xs|select('wobbly')|join }}]", {"xs": []}),
    ("f_items_j2", [J], "{% for k, v in env|items %}{{ k }}={{ v }};{% endfor %} {{ env|items|list }} {{ missing|items|list }} {{ {'a': [1]}|items|list }}", SVC),
    ("f_items_not_mapping_j2", [J], "{{ tags|items|list }}", SVC),
    ("f_items_nj_missing", [N], "{{ env|items }}", SVC),
    ("f_attr_j2", [J], "{{ 'abc'|attr('upper') is callable }} {{ env|attr('LOG_LEVEL')|default('not an attribute') }} {{ (env|attr('items'))()|list|length }}", SVC),
    ("f_attr_undefined_j2", [J], "{{ env|attr('LOG_LEVEL') }}", SVC),
    ("f_attr_nj_missing", [N], "{{ env|attr('x') }}", SVC),
    # string filters (format, escape, safe, striptags, wordwrap, filesizeformat)
    ("f_format_j2", [J], "{{ '%s-%d %05.2f|%-5s|%x %X %o %r %%'|format('a', 3.9, 2.5, 'ab', 255, 255, 8, 'q') }} {{ '%(a)s=%(b)03d'|format(a='k', b=7) }} {{ '%s and %s'|format([1, 'x'], none) }} {{ '%+d % d %e %g %.3s %c'|format(5, 5, 12345.678, 0.0001, 'abcdef', 65) }} {{ '%5s|%-4d|%#x|%#o'|format('é', 7, 255, 8) }}", {}),
    ("f_format_ints_j2", [J], "{{ '%05.2d|%-05d|%+05.3x|%5.3d|% 05d|%#5x|%#5o|%-#8o|%.0f|%#.0f|%#g|%05s|%.0e|%x|%X|%o|%d|%#05o|%i|%u'|format(4, 3, 255, 7, 5, 255, 8, 8, 2.5, 2.5, 1.0, 'ab', 15000, -255, 3054, -8, -9223372036854775807, 8, true, 2.9) }} {{ '%5c|%-3c|%c|%2c'|format(65, 'x', 233, 'é') }}", {}),
    ("f_format_percent_flags_j2", [J], "{{ '%5%'|format(1) }}", {}),
    ("f_format_floats_j2", [J], "{{ '%+.3e|% 09.2f|%-8.3G|%#x|%#.0f'|format(123456.789, -0.5, 1e-7, 0, 3.0) }}", {}),
    ("f_format_char_j2", [J], "{{ '%c'|format('xy') }}", {}),
    ("f_format_too_few_j2", [J], "{{ '%s %s'|format('a') }}", {}),
    ("f_format_too_many_j2", [J], "{{ '%s'|format('a', 'b') }}", {}),
    ("f_format_type_j2", [J], "{{ '%d'|format('x') }}", {}),
    ("f_format_mixed_args_j2", [J], "{{ '%s'|format('a', b=1) }}", {}),
    ("f_format_nj_missing", [N], "{{ '%s'|format('a') }}", {}),
    ("f_escape", BOTH, "{{ '<a href=\"x\">Hi</a> & it\\'s'|escape }} {{ '<x>'|e|e }} {{ '<x>'|safe|e }} {{ 5|e }} {{ 'a\\\\b'|e }} {{ '<b>'|safe }} {{ ('<' ~ '>')|e }}", {}),
    ("f_escape_values", BOTH, "{{ tags|e }} {{ 3.5|e }} {{ true|safe }}", SVC),
    ("f_escape_null", BOTH, "[{{ nothing|e }}] [{{ nothing|safe }}]", SVC),
    ("f_striptags", BOTH, "{{ '  <p class=\"x\">Hello <b>world</b></p>\\n\\n <!-- a\\ncomment --> x  &amp; y &lt;3  '|striptags }}|{{ 'a <1> b < c > d'|striptags }}|{{ 5|string|striptags }}", {}),
    ("f_striptags_entities_j2", [J], "{{ 'caf&#233; &#x41;&quot;&nbsp;|&bogus; &copy;'|striptags }}", {}),
    ("f_striptags_lines_nj", [N], "{{ '<p>one  two </p>\\n  <p>three</p>\\n\\n\\n\\n<i>four</i>  '|striptags(true) }}", {}),
    ("f_wordwrap_j2", [J], "{{ text|wordwrap(20) }}\n--\n{{ 'a well-known self-contained multi-line string'|wordwrap(10, wrapstring='\\n  ') }}\n--\n{{ 'superlongwordthatneverends here'|wordwrap(8) }}\n--\n{{ 'superlongwordthatneverends here'|wordwrap(8, false) }}\n--\n{{ 'first para is long enough\\n\\nsecond  para   here'|wordwrap(10) }}\n--\n{{ '  indented text stays'|wordwrap(9) }}|{{ 'a-b-c-d-e-f'|wordwrap(4, break_on_hyphens=false) }}|{{ 'x'|wordwrap(1) }}", {"text": "The quick brown fox jumps over the lazy dog and keeps on running-far-away-from-here, ünïcödé wörds too"}),
    ("f_wordwrap_unicode_j2", [J], "{{ '</b>ü-b_3-4hy-phen.a-b-clonglonglong a?</b>,-->'|wordwrap(10) }}|{{ 'a-b-c.3-4ü-longlonglongword!\t3-4-->'|wordwrap(15, true, '/') }}|{{ '—word x— Ω-Ω ab-cd-ef 日本語のテキスト'|wordwrap(6) }}", {}),
    ("f_wordwrap_bad_width_j2", [J], "{{ 'abc'|wordwrap(0) }}", {}),
    ("f_wordwrap_nj_missing", [N], "{{ 'abc'|wordwrap(2) }}", {}),
    ("f_filesizeformat_j2", [J], "{{ 0|filesizeformat }} {{ 1|filesizeformat }} {{ 999|filesizeformat }} {{ 1000|filesizeformat }} {{ 123456789|filesizeformat }} {{ 123456789|filesizeformat(true) }} {{ '2048'|filesizeformat(binary=true) }} {{ 1e30|filesizeformat }} {{ 1.5|filesizeformat }} {{ 10**24|filesizeformat }}", {}),
    ("f_filesizeformat_bad_j2", [J], "{{ 'big'|filesizeformat }}", {}),
    ("f_filesizeformat_nj_missing", [N], "{{ 1000|filesizeformat }}", {}),
]

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "cases")
os.makedirs(out, exist_ok=True)
for name, modes, tmpl, ctx in cases:
    with open(os.path.join(out, name + ".tmpl"), "w", encoding="utf-8", newline="") as f:
        f.write(tmpl)
    with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(ctx, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out, name + ".modes"), "w") as f:
        f.write(" ".join(modes) + "\n")
print(len(cases), "cases")
