// Command yamldecode is the "cost of just parsing it" baseline of make bench:
// it reads every .yaml/.yml/.json file under the given directories and
// decodes each document with yaml.v3 into plain Go values, on as many
// goroutines as kscan uses, and does nothing else. Any Go tool that reads
// manifests pays at least this much.
//
// -threads 1 decodes on one goroutine (and GOMAXPROCS 1, so the collector
// does not run beside it either): the floor of issue #20, "yaml.v3 decode
// of every document, one thread".
//
//	yamldecode [-threads N] DIR...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

func main() {
	threads := flag.Int("threads", runtime.GOMAXPROCS(0), "goroutines decoding documents (1: one thread, GOMAXPROCS 1)")
	flag.Parse()
	if *threads < 1 {
		fmt.Fprintln(os.Stderr, "yamldecode: -threads must be at least 1")
		os.Exit(2)
	}
	if *threads == 1 {
		runtime.GOMAXPROCS(1)
	}
	var files []string
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "yamldecode:", err)
			os.Exit(1)
		}
	}
	var docs, failed atomic.Int64
	jobs := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < *threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				data, err := os.ReadFile(p)
				if err != nil {
					failed.Add(1)
					continue
				}
				dec := yaml.NewDecoder(bytes.NewReader(data))
				for {
					var v any
					if err := dec.Decode(&v); err != nil {
						if err.Error() != "EOF" {
							failed.Add(1)
						}
						break
					}
					docs.Add(1)
				}
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("%d documents decoded, %d failures\n", docs.Load(), failed.Load())
}
