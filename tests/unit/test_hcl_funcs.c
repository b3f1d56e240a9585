/* test_hcl_funcs.c: every built-in HCL function, with results checked as
 * Terraform gives them and at least one error case each. file, fileexists
 * and templatefile run over an in-memory file tree through sl_hcl_fs. */
#include <stdlib.h>
#include <string.h>

#include "sl_test.h"
#include "hcl_eval_helper.h"

typedef struct fcase {
    const char *src;
    const char *want; /* JSON, or "!substring" of the expected error */
} fcase;

static void run_cases(const fcase *cases, size_t n, const sl_hcl_fs *fs)
{
    for (size_t i = 0; i < n; i++) {
        char *got = hcl_eval_str(cases[i].src, NULL, fs);
        if (cases[i].want[0] == '!') {
            if (strncmp(got, "ERROR", 5) || !strstr(got, cases[i].want + 1))
                fprintf(stderr, "%s:\n  got %s\n  want error containing %s\n", cases[i].src, got,
                        cases[i].want + 1);
            SL_CHECK(!strncmp(got, "ERROR", 5));
            SL_CHECK_HAS(got, cases[i].want + 1);
        } else {
            if (strcmp(got, cases[i].want))
                fprintf(stderr, "%s:\n  got  %s\n  want %s\n", cases[i].src, got, cases[i].want);
            SL_CHECK_STR(got, cases[i].want);
        }
        free(got);
    }
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]), NULL)

static void test_numeric(void)
{
    static const fcase c[] = {
        {"abs(-12.5)", "12.5"},
        {"abs(3)", "3"},
        {"abs(\"x\")", "!a number is required"},
        {"ceil(1.2)", "2"},
        {"ceil(-1.2)", "-1"},
        {"floor(-1.2)", "-2"},
        {"floor(5)", "5"},
        {"floor(null)", "!must not be null"},
        {"max(3, 12, 9)", "12"},
        {"max([1, 7]...)", "7"},
        {"min(3, -2, 9)", "-2"},
        {"min()", "!Not enough function arguments"},
        {"max(1, \"a\")", "!a number is required"},
        {"parseint(\"100\", 10)", "100"},
        {"parseint(\"FF\", 16)", "255"},
        {"parseint(\"-1010\", 2)", "-10"},
        {"parseint(\"zz\", 36)", "1295"},
        {"parseint(\"12\", 2)", "!cannot parse \"12\" as a base 2 integer"},
        {"parseint(\"1\", 99)", "!base must be a whole number between 2 and 62"},
        {"pow(3, 2)", "9"},
        {"pow(2, 0.5)", "1.4142135623730951"},
        {"pow(2, 64)", "18446744073709551616"},
        {"pow(\"a\", 2)", "!a number is required"},
        {"signum(-13)", "-1"},
        {"signum(0)", "0"},
        {"signum(344)", "1"},
        {"signum(true)", "!a number is required"},
    };
    RUN(c);
}

static void test_strings(void)
{
    static const fcase c[] = {
        {"chomp(\"hello\\n\")", "\"hello\""},
        {"chomp(\"hello\\r\\n\\n\")", "\"hello\""},
        {"chomp(\"x\\ny\")", "\"x\\ny\""},
        {"chomp([])", "!string required"},
        {"format(\"Hello, %s!\", \"Ander\")", "\"Hello, Ander!\""},
        {"format(\"There are %d lights\", 4)", "\"There are 4 lights\""},
        {"format(\"%5.2f|%-4s|%04d|%x|%t|%q|%%\", 3.14159, \"ab\", 42, 255, true, \"q\")",
         "\" 3.14|ab  |0042|ff|true|\\\"q\\\"|%\""},
        {"format(\"%v %v %#v\", 1, [\"a\"], \"s\")", "\"1 [\\\"a\\\"] \\\"s\\\"\""},
        {"format(\"%[2]s %[1]s\", \"a\", \"b\")", "\"b a\""},
        {"format(\"%d\", 1.5)", "!an integer is required"},
        {"format(\"%s %s\", \"a\")", "!not enough arguments"},
        {"format(\"%s\", \"a\", \"b\")", "!too many arguments"},
        {"format(\"%z\", 1)", "!unrecognized format verb"},
        {"formatlist(\"Hello, %s!\", [\"Valentina\", \"Ander\"])",
         "[\"Hello, Valentina!\",\"Hello, Ander!\"]"},
        {"formatlist(\"%s-%s\", \"x\", [\"a\", \"b\"])", "[\"x-a\",\"x-b\"]"},
        {"formatlist(\"%s%s\", [\"a\"], [\"b\", \"c\"])", "!inconsistent"},
        {"indent(2, \"[\\n  foo,\\n  bar,\\n]\\n\")", "\"[\\n    foo,\\n    bar,\\n  ]\\n  \""},
        {"indent(-1, \"x\")", "!between 0 and 1000"},
        {"join(\", \", [\"foo\", \"bar\", \"baz\"])", "\"foo, bar, baz\""},
        {"join(\"-\", [\"a\"], [], [\"b\"])", "\"a-b\""},
        {"join(\",\", \"a\")", "!a list, set or tuple is required"},
        {"join(\",\", [null])", "!element 0 is null"},
        {"lower(\"HELLO ÀÉ Привет\")", "\"hello àé привет\""},
        {"upper(\"hello àé привет\")", "\"HELLO ÀÉ ПРИВЕТ\""},
        {"upper(null)", "!must not be null"},
        {"title(\"hello world, hi-there\")", "\"Hello World, Hi-There\""},
        {"regex(\"[a-z]+\", \"53453453.345345aaabbbccc23454\")", "\"aaabbbccc\""},
        {"regex(\"(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)\", \"2019-02-01\")",
         "[\"2019\",\"02\",\"01\"]"},
        {"regex(\"^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?\", "
         "\"https://terraform.io/docs/\")",
         "{\"authority\":\"terraform.io\",\"scheme\":\"https\"}"},
        {"regex(\"(?i)ABC\", \"xabcx\")", "\"abc\""},
        {"regex(\"\\\\b(\\\\w+?)\\\\d\", \"ab12 cd3\")", "[\"ab\"]"}, /* RE2: \\b, lazy */
        {"regex(\"^\\\\pL+$\", \"héllo\")", "\"héllo\""},
        {"regex(\"[a-z]+\", \"12345\")", "!pattern did not match"},
        {"regex(\"(\", \"x\")", "!invalid regular expression"},
        {"regexall(\"[a-z]+\", \"1234abcd5678efgh9\")", "[\"abcd\",\"efgh\"]"},
        {"length(regexall(\"[a-z]+\", \"123\"))", "0"},
        {"regexall(\"(\\\\w)=(\\\\d)\", \"a=1 b=2\")", "[[\"a\",\"1\"],[\"b\",\"2\"]]"},
        {"replace(\"1 + 2 + 3\", \"+\", \"-\")", "\"1 - 2 - 3\""},
        {"replace(\"hello world\", \"/w.*d/\", \"everybody\")", "\"hello everybody\""},
        {"replace(\"a-b\", \"/(\\\\w)-(\\\\w)/\", \"$2-$1\")", "\"b-a\""},
        {"replace(\"x\", \"/[/\", \"y\")", "!invalid regular expression"},
        {"replace(\"x\", null, \"y\")", "!must not be null"},
        {"split(\",\", \"foo,bar,baz\")", "[\"foo\",\"bar\",\"baz\"]"},
        {"split(\",\", \"foo\")", "[\"foo\"]"},
        {"split(\",\", \"\")", "[\"\"]"},
        {"split(\"::\", \"a::b\")", "[\"a\",\"b\"]"},
        {"split(\",\", [])", "!string required"},
        {"strrev(\"hello\")", "\"olleh\""},
        {"strrev(\"a☃b\")", "\"b☃a\""},
        {"strrev({})", "!string required"},
        {"substr(\"hello world\", 1, 4)", "\"ello\""},
        {"substr(\"🤔🤷\", 0, 1)", "\"🤔\""},
        {"substr(\"hello world\", -5, -1)", "\"world\""},
        {"substr(\"hello\", 3, 10)", "\"lo\""},
        {"substr(\"hi\", 5, 1)", "!offset must be no greater than the string length"},
        {"trim(\"?!hello?!\", \"!?\")", "\"hello\""},
        {"trim(\"foobar\", \"far\")", "\"oob\""},
        {"trim(\"x\", null)", "!must not be null"},
        {"trimprefix(\"helloworld\", \"hello\")", "\"world\""},
        {"trimprefix(\"helloworld\", \"cat\")", "\"helloworld\""},
        {"trimprefix([], \"a\")", "!string required"},
        {"trimsuffix(\"helloworld\", \"world\")", "\"hello\""},
        {"trimsuffix(\"a\", [])", "!string required"},
        {"trimspace(\"  hello\\n\\n\")", "\"hello\""},
        {"trimspace(\"\\u2003x\\u00a0\")", "\"x\""},
        {"trimspace([])", "!string required"},
        {"startswith(\"hello world\", \"hello\")", "true"},
        {"startswith(\"hello world\", \"world\")", "false"},
        {"startswith(null, \"a\")", "!must not be null"},
        {"endswith(\"hello world\", \"world\")", "true"},
        {"endswith(\"a\", \"abc\")", "false"},
        {"endswith(\"a\", {})", "!string required"},
    };
    RUN(c);
}

static void test_collections(void)
{
    static const fcase c[] = {
        {"alltrue([\"true\", true])", "true"},
        {"alltrue([true, false])", "false"},
        {"alltrue([])", "true"},
        {"alltrue([1])", "!a bool is required"},
        {"anytrue([false, \"true\"])", "true"},
        {"anytrue([])", "false"},
        {"anytrue(\"x\")", "!a list, set or tuple is required"},
        {"chunklist([\"a\", \"b\", \"c\", \"d\", \"e\"], 2)", "[[\"a\",\"b\"],[\"c\",\"d\"],[\"e\"]]"},
        {"chunklist([\"a\", \"b\"], 0)", "[[\"a\",\"b\"]]"},
        {"chunklist([1], -1)", "!must be positive"},
        {"coalesce(\"a\", \"b\")", "\"a\""},
        {"coalesce(\"\", \"b\")", "\"b\""},
        {"coalesce(null, 1, 2)", "1"},
        {"coalesce(null, \"\")", "!no non-null, non-empty-string arguments"},
        {"coalescelist([\"a\", \"b\"], [\"c\", \"d\"])", "[\"a\",\"b\"]"},
        {"coalescelist([], [\"c\", \"d\"])", "[\"c\",\"d\"]"},
        {"coalescelist([], [])", "!no non-null arguments"},
        {"compact([\"a\", \"\", \"b\", null, \"c\"])", "[\"a\",\"b\",\"c\"]"},
        {"compact([[]])", "!string required"},
        {"concat([\"a\", \"\"], [\"b\", \"c\"])", "[\"a\",\"\",\"b\",\"c\"]"},
        {"concat([], [1])", "[1]"},
        {"concat(1)", "!a list, set or tuple is required"},
        {"contains([\"a\", \"b\", \"c\"], \"a\")", "true"},
        {"contains([\"a\", \"b\", \"c\"], \"d\")", "false"},
        {"contains([1, 2], \"1\")", "true"},
        {"contains(\"abc\", \"a\")", "!a list, set or tuple is required"},
        {"distinct([\"a\", \"b\", \"a\", \"c\", \"d\", \"b\"])", "[\"a\",\"b\",\"c\",\"d\"]"},
        {"distinct({})", "!a list, set or tuple is required"},
        {"element([\"a\", \"b\", \"c\"], 1)", "\"b\""},
        {"element([\"a\", \"b\", \"c\"], 3)", "\"a\""},
        {"element([], 0)", "!empty list"},
        {"element([\"a\"], -1)", "!negative index"},
        {"flatten([[\"a\", \"b\"], [], [\"c\"]])", "[\"a\",\"b\",\"c\"]"},
        {"flatten([[[\"a\", \"b\"], []], [\"c\"]])", "[\"a\",\"b\",\"c\"]"},
        {"flatten(\"a\")", "!a list, set or tuple is required"},
        {"index([\"a\", \"b\", \"c\"], \"b\")", "1"},
        {"index([\"a\"], \"z\")", "!item not found"},
        {"keys({a = 1, c = 2, d = 3})", "[\"a\",\"c\",\"d\"]"},
        {"keys([1])", "!a map or object is required"},
        {"length([])", "0"},
        {"length([\"a\", \"b\"])", "2"},
        {"length({\"a\" = \"b\"})", "1"},
        {"length(\"hello\")", "5"},
        {"length(\"👾🕹️\")", "2"},
        {"length(1)", "!must be a string, a collection type"},
        {"length(null)", "!must not be null"},
        {"lookup({a = \"ay\", b = \"bee\"}, \"a\", \"what?\")", "\"ay\""},
        {"lookup({a = \"ay\", b = \"bee\"}, \"c\", \"what?\")", "\"what?\""},
        {"lookup({a = 1}, \"c\")", "!the given key \"c\" does not exist"},
        {"matchkeys([\"i-123\", \"i-abc\", \"i-def\"], [\"us-west\", \"us-east\", \"us-east\"], "
         "[\"us-east\"])",
         "[\"i-abc\",\"i-def\"]"},
        {"matchkeys([1], [1, 2], [1])", "!length of keys and values should be equal"},
        {"merge({a = \"b\", c = \"d\"}, {e = \"f\", c = \"z\"})",
         "{\"a\":\"b\",\"c\":\"z\",\"e\":\"f\"}"},
        {"merge({a = \"b\"}, {a = [1, 2], c = \"z\"}, {d = 3})", "{\"a\":[1,2],\"c\":\"z\",\"d\":3}"},
        {"merge()", "{}"},
        {"merge({}, null)", "{}"},
        {"merge([1])", "!arguments must be maps or objects"},
        {"one([])", "null"},
        {"one([\"hello\"])", "\"hello\""},
        {"one([\"a\", \"b\"])", "!either zero or one elements"},
        {"range(3)", "[0,1,2]"},
        {"range(1, 4)", "[1,2,3]"},
        {"range(1, 8, 2)", "[1,3,5,7]"},
        {"range(4, 1)", "[4,3,2]"},
        {"range(10, 5, -2)", "[10,8,6]"},
        {"range(0, 1, 0.25)", "[0,0.25,0.5,0.75]"},
        {"range(1, 4, -1)", "!step must be positive"},
        {"range(0, 1, 0)", "!step must not be zero"},
        {"range(2000)", "!more than 1024 values"},
        {"reverse([1, 2, 3])", "[3,2,1]"},
        {"reverse(toset([1]))", "!can only reverse list or tuple values"},
        {"setintersection([\"a\", \"b\"], [\"b\", \"c\"], [\"b\", \"d\"])", "[\"b\"]"},
        {"setintersection([\"a\"], 1)", "!a list, set or tuple is required"},
        {"setproduct([\"development\", \"staging\"], [\"app1\", \"app2\"])",
         "[[\"development\",\"app1\"],[\"development\",\"app2\"],[\"staging\",\"app1\"],"
         "[\"staging\",\"app2\"]]"},
        {"setproduct([\"a\"], [])", "[]"},
        {"setproduct(\"a\")", "!a list, set or tuple is required"},
        {"setsubtract([\"a\", \"b\", \"c\"], [\"a\", \"c\"])", "[\"b\"]"},
        {"setsubtract([\"a\"], \"b\")", "!a list, set or tuple is required"},
        {"setunion([\"a\", \"b\"], [\"b\", \"c\"], [\"d\"])", "[\"a\",\"b\",\"c\",\"d\"]"},
        {"setunion([true], [{}])", "!all elements must have the same type"},
        {"slice([\"a\", \"b\", \"c\", \"d\"], 1, 3)", "[\"b\",\"c\"]"},
        {"slice([1, 2], 1, 5)", "!end index must not be greater than the length"},
        {"slice([1, 2], 2, 1)", "!start index must not be greater than end index"},
        {"sort([\"e\", \"d\", \"a\", \"x\"])", "[\"a\",\"d\",\"e\",\"x\"]"},
        {"sort([10, 9, 1])", "[\"1\",\"10\",\"9\"]"},
        {"sort([null])", "!a null value cannot be used"},
        {"sum([10, 13, 6, 4.5])", "33.5"},
        {"sum([])", "!cannot sum an empty list"},
        {"sum([\"x\"])", "!a number is required"},
        {"transpose({a = [\"1\", \"2\"], b = [\"2\", \"3\"]})",
         "{\"1\":[\"a\"],\"2\":[\"a\",\"b\"],\"3\":[\"b\"]}"},
        {"transpose({a = \"x\"})", "!map of lists of strings"},
        {"values({a = 3, c = 2, d = 1})", "[3,2,1]"},
        {"values(\"x\")", "!a map or object is required"},
        {"zipmap([\"a\", \"b\"], [1, 2])", "{\"a\":1,\"b\":2}"},
        {"zipmap([\"a\"], [1, 2])", "!number of keys (1) does not match number of values (2)"},
    };
    RUN(c);
}

static void test_encoding(void)
{
    static const fcase c[] = {
        {"base64encode(\"Hello World\")", "\"SGVsbG8gV29ybGQ=\""},
        {"base64encode(\"\")", "\"\""},
        {"base64encode([])", "!string required"},
        {"base64decode(\"SGVsbG8gV29ybGQ=\")", "\"Hello World\""},
        {"base64decode(\"SGVsbG8\")", "!not a multiple of 4"},
        {"base64decode(\"S?==\")", "!illegal character"},
        {"base64decode(\"/w==\")", "!not valid UTF-8"},
        {"jsonencode({\"hello\" = \"world\"})", "\"{\\\"hello\\\":\\\"world\\\"}\""},
        {"jsonencode([1, true, null, \"<a&b>\"])",
         "\"[1,true,null,\\\"\\\\u003ca\\\\u0026b\\\\u003e\\\"]\""},
        {"jsonencode(12345678901234567890)", "\"12345678901234567890\""},
        {"jsondecode(\"{\\\"hello\\\": \\\"world\\\"}\")", "{\"hello\":\"world\"}"},
        {"jsondecode(\"true\")", "true"},
        {"jsondecode(\"[1, {\\\"a\\\": null}]\")", "[1,{\"a\":null}]"},
        {"jsondecode(\"{\")", "!invalid JSON"},
        {"yamldecode(\"hello: world\")", "{\"hello\":\"world\"}"},
        {"yamldecode(\"- a\\n- 1\\n- true\\n\")", "[\"a\",1,true]"},
        {"yamldecode(\"\")", "null"},
        {"yamldecode(\"a: [\")", "!on line"},
        {"yamldecode(\"a: 1\\n---\\nb: 2\\n\")", "!extra content"},
        {"yamlencode({a = \"b\", c = [1, 2]})", "\"a: b\\nc:\\n- 1\\n- 2\\n\""},
        {"urlencode(\"Hello World!\")", "\"Hello+World%21\""},
        {"urlencode(\"☃\")", "\"%E2%98%83\""},
        {"urlencode({})", "!string required"},
        {"csvdecode(\"a,b,c\\n1,2,3\\n4,5,6\")",
         "[{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"},{\"a\":\"4\",\"b\":\"5\",\"c\":\"6\"}]"},
        {"csvdecode(\"a,b\\n\\\"x,\\\"\\\"y\\\"\\\"\\\",z\\n\")", "[{\"a\":\"x,\\\"y\\\"\",\"b\":\"z\"}]"},
        {"csvdecode(\"a,b\\n1\\n\")", "!wrong number of fields"},
        {"csvdecode(\"\")", "!missing header line"},
    };
    RUN(c);
}

static void test_hash_and_network(void)
{
    static const fcase c[] = {
        {"md5(\"hello world\")", "\"5eb63bbbe01eeed093cb22bb8f5acdc3\""},
        {"sha1(\"hello world\")", "\"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\""},
        {"sha256(\"hello world\")",
         "\"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\""},
        {"sha512(\"hello world\")",
         "\"309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da3"
         "4255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f\""},
        {"md5([])", "!string required"},
        {"sha256(null)", "!must not be null"},
        {"uuidv5(\"dns\", \"www.terraform.io\")", "\"a5008fae-b28c-5ba5-96cd-82b4c53552d6\""},
        {"uuidv5(\"url\", \"https://www.terraform.io/\")", "\"9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5\""},
        {"uuidv5(\"743ac3c0-3bf7-4a5b-9e6c-59360447c757\", \"LIBS:diskfont.library\")",
         "\"ede1a974-df7e-5f17-84b9-76208818b2c8\""},
        {"uuidv5(\"nope\", \"x\")", "!doesn't support namespace"},
        {"cidrhost(\"10.12.112.0/20\", 16)", "\"10.12.112.16\""},
        {"cidrhost(\"10.12.112.0/20\", 268)", "\"10.12.113.12\""},
        {"cidrhost(\"10.0.0.0/24\", -1)", "\"10.0.0.255\""},
        {"cidrhost(\"fd00:fd12:3456:7890:00a2::/72\", 34)", "\"fd00:fd12:3456:7890::22\""},
        {"cidrhost(\"10.0.0.0/30\", 4)", "!does not accommodate a host numbered 4"},
        {"cidrhost(\"10.0.0/8\", 1)", "!invalid CIDR address"},
        {"cidrnetmask(\"172.16.0.0/12\")", "\"255.240.0.0\""},
        {"cidrnetmask(\"10.0.0.0/32\")", "\"255.255.255.255\""},
        {"cidrnetmask(\"::/64\")", "!IPv6 addresses cannot have a netmask"},
        {"cidrsubnet(\"172.16.0.0/12\", 4, 2)", "\"172.18.0.0/16\""},
        {"cidrsubnet(\"10.1.2.0/24\", 4, 15)", "\"10.1.2.240/28\""},
        {"cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)", "\"fd00:fd12:3456:7800:a200::/72\""},
        {"cidrsubnet(\"10.0.0.0/30\", 4, 1)", "!insufficient address space"},
        {"cidrsubnet(\"10.0.0.0/8\", 2, 4)", "!does not accommodate a subnet numbered 4"},
        {"cidrsubnets(\"10.1.0.0/16\", 4, 4, 8, 4)",
         "[\"10.1.0.0/20\",\"10.1.16.0/20\",\"10.1.32.0/24\",\"10.1.48.0/20\"]"},
        {"cidrsubnets(\"fd00:fd12:3456:7890::/56\", 16, 16, 16, 32)",
         "[\"fd00:fd12:3456:7800::/72\",\"fd00:fd12:3456:7800:100::/72\","
         "\"fd00:fd12:3456:7800:200::/72\",\"fd00:fd12:3456:7800:300::/88\"]"},
        {"cidrsubnets(\"10.0.0.0/30\", 1, 1, 1)", "!not enough remaining address space"},
        {"cidrsubnets(\"10.0.0.0/8\", 30)", "!too long"},
    };
    RUN(c);
}

static void test_types(void)
{
    static const fcase c[] = {
        {"can(tonumber(\"1\"))", "true"},
        {"can(tonumber(\"x\"))", "false"},
        {"can(nosuch.attr)", "false"},
        {"try(tonumber(\"x\"), \"fallback\")", "\"fallback\""},
        {"try({a = 1}.a, 0)", "1"},
        {"try({}.a, {}.b)", "!no expression succeeded"},
        {"tobool(\"true\")", "true"},
        {"tobool(false)", "false"},
        {"tobool(null)", "null"},
        {"tobool(\"yes\")", "!a bool is required"},
        {"tobool(1)", "!cannot convert number to bool"},
        {"tonumber(\"1.5e2\")", "150"},
        {"tonumber(1)", "1"},
        {"tonumber(\"no\")", "!a number is required"},
        {"tostring(12.5)", "\"12.5\""},
        {"tostring(true)", "\"true\""},
        {"tostring([])", "!cannot convert"},
        {"tolist([\"a\", \"b\", 3])", "[\"a\",\"b\",\"3\"]"},
        {"tolist(toset([\"b\", \"a\"]))", "[\"a\",\"b\"]"},
        {"tolist([{}, 1])", "!all list elements must have the same type"},
        {"tolist(\"a\")", "!cannot convert"},
        {"toset([\"c\", \"b\", \"b\"])", "[\"b\",\"c\"]"},
        {"toset(1)", "!cannot convert"},
        {"tomap({a = 1, b = 2})", "{\"a\":1,\"b\":2}"},
        {"tomap({a = \"foo\", b = true})", "{\"a\":\"foo\",\"b\":\"true\"}"},
        {"tomap([1])", "!cannot convert"},
        {"type(1)", "\"number\""},
        {"type(tolist([\"a\"]))", "\"list(string)\""},
        {"type({a = [true]})", "\"object({a=tuple([bool])})\""},
    };
    RUN(c);
}

/* An in-memory file tree: "name\0content" pairs. */
static const char *const g_files[][2] = {
    {"hello.txt", "Hello World"},
    {"tpl/backends.tftpl",
     "%{ for addr in ip_addrs ~}\nbackend ${addr}:${port}\n%{ endfor ~}\n"},
    {"tpl/bad.tftpl", "${nosuch}"},
    {"tpl/syntax.tftpl", "${"},
    {"bin.dat", "\xff\xfe"},
};

static int mem_read(void *ud, const char *path, size_t max, sl_buf *out, sl_error *err)
{
    (void)ud;
    if (strstr(path, ".."))
        return sl_error_set(err, SL_ECONFINE, "outside");
    for (size_t i = 0; i < sizeof(g_files) / sizeof(g_files[0]); i++)
        if (!strcmp(g_files[i][0], path)) {
            if (strlen(g_files[i][1]) > max)
                return sl_error_set(err, SL_ELIMIT, "too big");
            return sl_buf_puts(out, g_files[i][1]);
        }
    return sl_error_set(err, SL_ENOTFOUND, "no such file");
}

static int mem_exists(void *ud, const char *path, sl_error *err)
{
    sl_buf b = SL_BUF_INIT;
    int rc = mem_read(ud, path, 1 << 20, &b, err);
    sl_buf_free(&b);
    return rc == 0 ? 1 : rc == SL_ENOTFOUND ? 0 : rc;
}

static void test_files(void)
{
    static const fcase c[] = {
        {"file(\"hello.txt\")", "\"Hello World\""},
        {"file(\"missing.txt\")", "!no file exists at \"missing.txt\""},
        {"file(\"../etc/passwd\")", "!outside the module's repository"},
        {"file(\"bin.dat\")", "!not valid UTF-8"},
        {"fileexists(\"hello.txt\")", "true"},
        {"fileexists(\"nope\")", "false"},
        {"fileexists(\"../x\")", "!outside the module's repository"},
        {"templatefile(\"tpl/backends.tftpl\", {port = 8080, ip_addrs = [\"10.0.0.1\", "
         "\"10.0.0.2\"]})",
         "\"backend 10.0.0.1:8080\\nbackend 10.0.0.2:8080\\n\""},
        {"templatefile(\"tpl/bad.tftpl\", {})", "!tpl/bad.tftpl:1,3: Unknown variable"},
        {"templatefile(\"tpl/syntax.tftpl\", {})", "!tpl/syntax.tftpl:1,"},
        {"templatefile(\"hello.txt\", [])", "!invalid vars value: must be a map"},
        {"templatefile(\"nope\", {})", "!no file exists"},
    };
    sl_hcl_fs fs = {NULL, mem_read, mem_exists};
    char *got;

    run_cases(c, sizeof(c) / sizeof(c[0]), &fs);
    /* Without an fs the file functions fail cleanly. */
    got = hcl_eval_str("file(\"hello.txt\")", NULL, NULL);
    SL_CHECK_HAS(got, "no files can be read here");
    free(got);
}

/* Sensitive marks survive function calls. */
static void test_marks(void)
{
    sl_hcl_arena *a = NULL;
    sl_hcl_diags d = {0};
    sl_hcl_file *f = NULL;
    sl_hcl_expr *e;
    sl_hcl_ctx ctx = {0};
    const sl_hcl_value *v, *secret, *vars;
    const char *name = "pw";

    sl_hcl_arena_new(0, &a);
    secret = sl_hcl_mark(a, sl_hcl_string_cstr(a, "hunter2"), SL_HCL_SENSITIVE);
    vars = sl_hcl_object(a, 1, &name, &secret);
    ctx.arena = a;
    ctx.diags = &d;
    ctx.vars = vars;
    SL_CHECK_INT(sl_hcl_parse_expr("m", "upper(\"x-${pw}\")", 16, NULL, &f, &e, &d), 0);
    ctx.file = f;
    SL_CHECK_INT(sl_hcl_eval(&ctx, e, &v), 0);
    SL_CHECK(v->flags & SL_HCL_SENSITIVE);
    SL_CHECK_STR(v->u.str.s, "X-HUNTER2");
    sl_hcl_file_free(f);
    sl_hcl_diags_free(&d);
    sl_hcl_arena_free(a);
}

SL_TEST_MAIN(SL_TEST_ENTRY(test_numeric), SL_TEST_ENTRY(test_strings),
             SL_TEST_ENTRY(test_collections), SL_TEST_ENTRY(test_encoding),
             SL_TEST_ENTRY(test_hash_and_network), SL_TEST_ENTRY(test_types),
             SL_TEST_ENTRY(test_files), SL_TEST_ENTRY(test_marks))
