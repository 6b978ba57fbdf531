package manifest

import "bytes"

// document is one YAML document of a file, with the line it starts on.
type document struct {
	data      []byte
	firstLine int // 1-based line of the document's first byte in the file
}

// splitDocuments cuts a YAML stream at its "---" document markers. Parsing
// documents one by one lets a syntax error in one be reported while the
// others are still scanned. A marker line cannot occur inside a block scalar
// at column 0, so a line-based split is faithful to YAML.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); line++ {
		next := len(data)
		if end := bytes.IndexByte(data[i:], '\n'); end >= 0 {
			next = i + end + 1
		}
		l := bytes.TrimRight(data[i:next], "\r\n")
		switch {
		case bytes.Equal(l, []byte("...")):
			docs = append(docs, document{data[start:i], startLine})
			start, startLine = next, line+1
		case isMarker(l):
			// The new document starts at the marker itself: a leading "---"
			// is valid YAML and keeps "--- |" or "--- {a: 1}" content intact.
			docs = append(docs, document{data[start:i], startLine})
			start, startLine = i, line
		}
		i = next
	}
	return append(docs, document{data[start:], startLine})
}

func isMarker(l []byte) bool {
	return bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t')
}
