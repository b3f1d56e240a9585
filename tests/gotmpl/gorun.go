// gorun.go: executes the cases of a template case file with Go's
// text/template and prints one result per case in the format of
// tests/tools/gotmpl-run. JSON numbers that are integral become Go ints, as
// sluice's engine treats them. Sprig is not in Go's standard library; the
// Sprig functions that are thin wrappers over it (strings, regexp,
// encoding, hashes, JSON) are defined here as Sprig defines them, so their
// cases (sprig.cases) check sluice against Go's own libraries.
package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/adler32"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

func strval(v interface{}) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprintf("%v", v)
	}
}

func strslice(v interface{}) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []interface{}:
		b := make([]string, 0, len(v))
		for _, s := range v {
			if s != nil {
				b = append(b, strval(s))
			}
		}
		return b
	case nil:
		return []string{}
	default:
		return []string{strval(v)}
	}
}

var funcs = template.FuncMap{
	"upper":      strings.ToUpper,
	"lower":      strings.ToLower,
	"title":      strings.Title,
	"trim":       strings.TrimSpace,
	"trimAll":    func(a, b string) string { return strings.Trim(b, a) },
	"trimSuffix": func(a, b string) string { return strings.TrimSuffix(b, a) },
	"trimPrefix": func(a, b string) string { return strings.TrimPrefix(b, a) },
	"contains":   func(substr string, str string) bool { return strings.Contains(str, substr) },
	"hasPrefix":  func(substr string, str string) bool { return strings.HasPrefix(str, substr) },
	"hasSuffix":  func(substr string, str string) bool { return strings.HasSuffix(str, substr) },
	"repeat":     func(count int, str string) string { return strings.Repeat(str, count) },
	"replace":    func(o, n, s string) string { return strings.Replace(s, o, n, -1) },
	"splitList":  func(sep, orig string) []string { return strings.Split(orig, sep) },
	"splitn": func(sep string, n int, orig string) map[string]string {
		parts := strings.SplitN(orig, sep, n)
		res := make(map[string]string, len(parts))
		for i, v := range parts {
			res["_"+strconv.Itoa(i)] = v
		}
		return res
	},
	"join": func(sep string, v interface{}) string { return strings.Join(strslice(v), sep) },
	"indent": func(spaces int, v string) string {
		pad := strings.Repeat(" ", spaces)
		return pad + strings.Replace(v, "\n", "\n"+pad, -1)
	},
	"nindent": func(spaces int, v string) string {
		pad := strings.Repeat(" ", spaces)
		return "\n" + pad + strings.Replace(v, "\n", "\n"+pad, -1)
	},
	"quote": func(str ...interface{}) string {
		out := make([]string, 0, len(str))
		for _, s := range str {
			if s != nil {
				out = append(out, fmt.Sprintf("%q", strval(s)))
			}
		}
		return strings.Join(out, " ")
	},
	"squote": func(str ...interface{}) string {
		out := make([]string, 0, len(str))
		for _, s := range str {
			if s != nil {
				out = append(out, fmt.Sprintf("'%v'", s))
			}
		}
		return strings.Join(out, " ")
	},
	"toString": strval,
	"toStrings": strslice,
	"b64enc": func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) },
	"b64dec": func(v string) string {
		data, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return err.Error()
		}
		return string(data)
	},
	"b32enc": func(v string) string { return base32.StdEncoding.EncodeToString([]byte(v)) },
	"b32dec": func(v string) string {
		data, err := base32.StdEncoding.DecodeString(v)
		if err != nil {
			return err.Error()
		}
		return string(data)
	},
	"sha1sum": func(input string) string {
		hash := sha1.Sum([]byte(input))
		return hex.EncodeToString(hash[:])
	},
	"sha256sum": func(input string) string {
		hash := sha256.Sum256([]byte(input))
		return hex.EncodeToString(hash[:])
	},
	"adler32sum": func(input string) string { return fmt.Sprintf("%d", adler32.Checksum([]byte(input))) },
	"toJson": func(v interface{}) string {
		output, _ := json.Marshal(v)
		return string(output)
	},
	"toPrettyJson": func(v interface{}) string {
		output, _ := json.MarshalIndent(v, "", "  ")
		return string(output)
	},
	"toRawJson": func(v interface{}) string {
		buf := new(bytes.Buffer)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&v); err != nil {
			panic(err)
		}
		return strings.TrimSuffix(buf.String(), "\n")
	},
	"regexMatch": func(regex string, s string) bool {
		match, _ := regexp.MatchString(regex, s)
		return match
	},
	"mustRegexMatch": regexp.MatchString,
	"regexFindAll": func(regex string, s string, n int) []string {
		return regexp.MustCompile(regex).FindAllString(s, n)
	},
	"regexFind": func(regex string, s string) string { return regexp.MustCompile(regex).FindString(s) },
	"regexReplaceAll": func(regex string, s string, repl string) string {
		return regexp.MustCompile(regex).ReplaceAllString(s, repl)
	},
	"regexReplaceAllLiteral": func(regex string, s string, repl string) string {
		return regexp.MustCompile(regex).ReplaceAllLiteralString(s, repl)
	},
	"regexSplit": func(regex string, s string, n int) []string {
		return regexp.MustCompile(regex).Split(s, n)
	},
	"regexQuoteMeta": regexp.QuoteMeta,
	"typeOf":         func(src interface{}) string { return fmt.Sprintf("%T", src) },
	"kindOf":         func(src interface{}) string { return reflect.ValueOf(src).Kind().String() },
	"list":           func(v ...interface{}) []interface{} { return v },
	"dict": func(v ...interface{}) map[string]interface{} {
		dict := map[string]interface{}{}
		for i := 0; i < len(v); i += 2 {
			key := strval(v[i])
			if i+1 >= len(v) {
				dict[key] = ""
				continue
			}
			dict[key] = v[i+1]
		}
		return dict
	},
}

func ints(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			x[k] = ints(e)
		}
	case []interface{}:
		for i, e := range x {
			x[i] = ints(e)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 9.2e18 {
			return int(x)
		}
	}
	return v
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	text := string(raw)
	blocks := strings.Split("\n"+text, "\n=== ")
	for _, b := range blocks[1:] {
		lines := strings.SplitN(b, "\n", 3)
		name, data := lines[0], lines[1]
		tmpl := strings.TrimPrefix(lines[2], "---\n")
		tmpl = strings.TrimSuffix(tmpl, "\n")
		var d interface{}
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			fmt.Fprintln(os.Stderr, name, err)
			os.Exit(2)
		}
		d = ints(d)
		fmt.Printf("=== %s\n", name)
		t, err := template.New(name).Funcs(funcs).Parse(tmpl)
		var out bytes.Buffer
		if err == nil {
			err = t.Execute(&out, d)
		}
		if err != nil {
			fmt.Printf("ERR\n")
			if os.Getenv("GOTMPL_RUN_VERBOSE") != "" {
				fmt.Fprintln(os.Stderr, err)
			}
			continue
		}
		fmt.Printf("OK %d\n%s\n", out.Len(), out.String())
	}
}
