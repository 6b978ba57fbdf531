package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"sync"
)

// A scan with a hundred thousand findings makes a report of about a hundred
// megabytes. Rendering it as one value means holding it two or three times
// (the encoding, then its indented copy) and using one processor. The
// writers below render findings in blocks on every processor instead and
// write the blocks in order as they are ready, so only a few blocks are held
// at once. The bytes are exactly those of encoding the whole document with
// encoding/json, which the golden tests hold them to.

// blockSize is the number of items rendered as one unit of work.
const blockSize = 1024

// writeOrdered renders items [0, n) on all processors and writes the
// results to w in order. Each worker gets its own renderer from newRender;
// a renderer appends item i to dst.
func writeOrdered(w io.Writer, n int, newRender func() func(dst *bytes.Buffer, i int) error) error {
	blocks := (n + blockSize - 1) / blockSize
	if blocks == 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), blocks)
	type result struct {
		buf *bytes.Buffer
		err error
	}
	// One channel per block keeps the order; the semaphore bounds how many
	// rendered blocks wait in memory for the writer.
	done := make([]chan result, blocks)
	for b := range done {
		done[b] = make(chan result, 1)
	}
	sem := make(chan struct{}, 2*workers)
	// Buffers the writer is done with go back to the workers: a block's
	// buffer grows to about a megabyte, and growing a new one for every
	// block allocated twice the report.
	free := make(chan *bytes.Buffer, 3*workers)
	next := make(chan int)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			render := newRender()
			for b := range next {
				var buf *bytes.Buffer
				select {
				case buf = <-free:
					buf.Reset()
				default:
					buf = new(bytes.Buffer)
				}
				var err error
				for i := b * blockSize; i < min(n, (b+1)*blockSize) && err == nil; i++ {
					err = render(buf, i)
				}
				done[b] <- result{buf, err}
			}
		}()
	}
	go func() {
		defer close(next)
		for b := range blocks {
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- b:
			case <-stop:
				return
			}
		}
	}()
	var err error
	for b := range blocks {
		r := <-done[b]
		<-sem
		if err == nil {
			err = r.err
		}
		if err == nil {
			_, err = w.Write(r.buf.Bytes())
		}
		select {
		case free <- r.buf:
		default:
		}
		if err != nil {
			// The feeder stops handing out blocks; workers finish the ones
			// they hold (their result channels are buffered) and exit.
			close(stop)
			break
		}
	}
	wg.Wait()
	return err
}

// indentEncoder renders values as encoding/json does inside an indented
// document: two-space indentation, lines after the first starting with
// prefix, no HTML escaping, no trailing newline.
type indentEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newIndentEncoder(prefix string) *indentEncoder {
	e := &indentEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	e.enc.SetIndent(prefix, "  ")
	return e
}

// appendTo appends v's encoding to dst.
func (e *indentEncoder) appendTo(dst *bytes.Buffer, v any) error {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	dst.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
	return nil
}

// writeElements writes the n elements of a JSON array, one per line after
// indent, separated by commas, rendering them with writeOrdered.
func writeElements(w io.Writer, n int, indent string, newRender func() func(dst *bytes.Buffer, i int) error) error {
	return writeOrdered(w, n, func() func(*bytes.Buffer, int) error {
		render := newRender()
		return func(dst *bytes.Buffer, i int) error {
			dst.WriteString(indent)
			if err := render(dst, i); err != nil {
				return err
			}
			if i < n-1 {
				dst.WriteString(",\n")
			} else {
				dst.WriteString("\n")
			}
			return nil
		}
	})
}

// bufferedWriter is w with a large buffer; Flush must be called.
func bufferedWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 256<<10) }
