// Lists what `docker build` sends as its context from a folder: every file the folder's
// .dockerignore does not exclude, matched by Docker's own matcher (github.com/moby/patternmatcher,
// which the classic builder and BuildKit's context transfer use), with the total of their sizes.
// test/images/docker-context.test.ts runs it on the repository root: no engine runs here.
//
// Usage: go run . <folder>   prints {"files": [...], "bytes": N} as JSON.
package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

func main() {
	root := os.Args[1]
	var patterns []string
	if f, err := os.Open(filepath.Join(root, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			panic(err)
		}
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		panic(err)
	}
	files := []string{}
	var bytes int64
	err = filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." || entry.IsDir() {
			return nil
		}
		excluded, err := matcher.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil || excluded {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		bytes += info.Size()
		return nil
	})
	if err != nil {
		panic(err)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"files": files, "bytes": bytes})
}
