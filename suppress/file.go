package suppress

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kscan-io/kscan/collectors/manifest"
	"github.com/kscan-io/kscan/finding"
	"github.com/kscan-io/kscan/glob"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/internal/safefile"
)

const dateLayout = "2006-01-02"

// maxFileSize bounds the ignore file; it is written by people.
const maxFileSize = 4 << 20

// Entry is one waiver of the ignore file.
type Entry struct {
	Rule     string // glob on the rule id; "*" when omitted
	Resource string // glob on the identity; "*" when omitted
	Source   string // glob on the file (or location) the resource was read from; optional
	Reason   string
	Expires  time.Time // zero: never
	Line     int
}

// Expired reports whether the entry has stopped applying. An entry expiring
// on a date applies through the end of that day (UTC).
func (e Entry) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.UTC().Before(e.Expires.AddDate(0, 0, 1))
}

// Matches reports whether the entry waives f. Globs: * matches any run of
// characters including "/", ? one character.
func (e *Entry) Matches(f *finding.Finding) bool {
	if !f.MatchesRule(glob.Match, e.Rule) || !glob.Match(e.Resource, f.Resource) {
		return false
	}
	if e.Source == "" {
		return true
	}
	where := f.Location.File
	if where == "" {
		where = f.Location.String()
	}
	return glob.Match(e.Source, where)
}

var entryKeys = map[string]bool{"rule": true, "resource": true, "source": true, "reason": true, "expires": true}

// LoadFile reads an ignore file. A missing file is fine unless required.
// Problems are returned as notifications naming the file and line: errors
// (the scan is incomplete) for anything malformed; a broken entry is skipped
// and the others still apply. Entries is nil when the file is absent or
// unreadable as a whole.
func LoadFile(path string, required bool) ([]Entry, []finding.Notification) {
	src := func(line int) finding.Location {
		return finding.Location{Kind: string(graph.SourceFile), File: path, Line: line}
	}
	fail := func(line int, format string, a ...any) finding.Notification {
		return finding.Notification{Level: "error", Location: src(line), Message: "ignore file: " + fmt.Sprintf(format, a...)}
	}
	if _, err := os.Lstat(path); err != nil && errors.Is(err, fs.ErrNotExist) && !required {
		return nil, nil
	}
	data, err := safefile.ReadFile(path, maxFileSize)
	var tooLarge *safefile.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, []finding.Notification{fail(0, "file is larger than %d MiB", maxFileSize>>20)}
	case err != nil:
		return nil, []finding.Notification{fail(0, "cannot read: %v", safefile.Reason(err))}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, []finding.Notification{fail(manifest.YAMLErrorLine(err), "invalid YAML: %s", manifest.CleanYAMLError(err))}
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return []Entry{}, nil // empty file: nothing to waive
	}
	top := root.Content[0]
	var list *yaml.Node
	switch top.Kind {
	case yaml.SequenceNode:
		list = top
	case yaml.MappingNode:
		for i := 0; i+1 < len(top.Content); i += 2 {
			k, v := top.Content[i], top.Content[i+1]
			switch k.Value {
			case "ignores":
				list = v
			case "version":
				if v.Value != "1" {
					return nil, []finding.Notification{fail(v.Line, "unsupported version %q (want 1)", v.Value)}
				}
			default:
				return nil, []finding.Notification{fail(k.Line, "unknown key %q (want ignores)", k.Value)}
			}
		}
		if list == nil {
			return nil, []finding.Notification{fail(top.Line, `no "ignores" list`)}
		}
	default:
		return nil, []finding.Notification{fail(top.Line, `expected a mapping with an "ignores" list`)}
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return []Entry{}, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, []finding.Notification{fail(list.Line, `"ignores" is not a list`)}
	}
	var entries []Entry
	var notes []finding.Notification
	for _, item := range list.Content {
		e, err := parseEntry(item)
		if err != nil {
			var le lineError
			line := item.Line
			if errors.As(err, &le) {
				line = le.line
			}
			notes = append(notes, fail(line, "%s", err.Error()))
			continue
		}
		entries = append(entries, e)
	}
	if entries == nil {
		entries = []Entry{}
	}
	return entries, notes
}

type lineError struct {
	line int
	msg  string
}

func (e lineError) Error() string { return e.msg }

func parseEntry(n *yaml.Node) (Entry, error) {
	if n.Kind != yaml.MappingNode {
		return Entry{}, lineError{n.Line, "entry is not a mapping (want rule, resource, reason…)"}
	}
	e := Entry{Line: n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !entryKeys[k.Value] {
			return Entry{}, lineError{k.Line, fmt.Sprintf("unknown key %q in entry (want rule, resource, source, reason, expires)", k.Value)}
		}
		if v.Kind != yaml.ScalarNode {
			return Entry{}, lineError{v.Line, fmt.Sprintf("%s must be a string", k.Value)}
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "rule":
			e.Rule = val
		case "resource":
			e.Resource = val
		case "source":
			e.Source = val
		case "reason":
			e.Reason = val
		case "expires":
			t, err := time.Parse(dateLayout, val)
			if err != nil {
				if t2, err2 := time.Parse(time.RFC3339, val); err2 == nil {
					t = time.Date(t2.Year(), t2.Month(), t2.Day(), 0, 0, 0, 0, time.UTC)
				} else {
					return Entry{}, lineError{v.Line, fmt.Sprintf("expires %q is not a date (want YYYY-MM-DD)", val)}
				}
			}
			e.Expires = t
		}
	}
	if e.Reason == "" {
		return Entry{}, lineError{n.Line, "entry has no reason: say why the finding is accepted"}
	}
	if e.Rule == "" && e.Resource == "" {
		return Entry{}, lineError{n.Line, "entry needs a rule or a resource"}
	}
	if e.Rule == "" {
		e.Rule = "*"
	}
	if e.Resource == "" {
		e.Resource = "*"
	}
	return e, nil
}
