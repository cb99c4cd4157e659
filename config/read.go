package config

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"strings"
)

// Reading the file: ${NAME} expansion before YAML sees it, and the YAML
// decoder's errors rewritten for the operator.

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} with the environment's value, line by line so
// that a missing variable can be reported with its line. Only the braced form
// is expanded: a bare $ in a URL or a regexp stays as written.
func expandEnv(path string, raw []byte, getenv func(string) string) ([]byte, error) {
	lines := bytes.Split(raw, []byte("\n"))
	for i, line := range lines {
		code, comment := splitComment(line)
		var missing string
		code = envRef.ReplaceAllFunc(code, func(m []byte) []byte {
			name := string(m[2 : len(m)-1])
			v := getenv(name)
			if v == "" && missing == "" {
				missing = name
			}
			return []byte(v)
		})
		if missing != "" {
			return nil, fmt.Errorf("%s:%d: ${%s} is not set: export %s before starting Herald, or remove the line", path, i+1, missing, missing)
		}
		lines[i] = append(code, comment...)
	}
	return bytes.Join(lines, []byte("\n")), nil
}

// splitComment cuts a YAML line before its comment: a # at the start or
// after a space, outside quotes.
func splitComment(line []byte) (code, comment []byte) {
	var quote byte
	for i, c := range line {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return append([]byte(nil), line[:i]...), line[i:]
		}
	}
	return line, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)$`)
var unknownField = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)
var notMapping = regexp.MustCompile(`cannot unmarshal !!(\w+) .*into config\.Config`)

// yamlKinds names YAML's node tags the way a config author thinks of them.
var yamlKinds = map[string]string{"seq": "a list", "str": "a text", "int": "a number", "bool": "true or false", "float": "a number"}

// yamlMessage rewrites the YAML decoder's errors, one per line, into
// "LINE: what: fix".
func yamlMessage(path string, err error) string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		m := yamlLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if k := notMapping.FindStringSubmatch(m[2]); k != nil {
			m[2] = fmt.Sprintf("the file holds %s where Herald wants keys with values (storage:, topics:, ...): write each setting as `key: value` at the start of a line, like the repository's config.yaml",
				cmp.Or(yamlKinds[k[1]], "something else"))
		}
		if u := unknownField.FindStringSubmatch(m[2]); u != nil {
			m[2] = fmt.Sprintf("unknown key %q in %s: check its spelling and indentation (see the configuration reference in README.md)",
				u[1], strings.ToLower(u[2]))
		}
		out = append(out, path+":"+m[1]+": "+m[2])
	}
	if len(out) == 0 {
		return path + ": " + strings.TrimPrefix(err.Error(), "yaml: ")
	}
	return strings.Join(out, "\n")
}
