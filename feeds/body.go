package feeds

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
)

// readBody decompresses the body and stops at MaxBytes of decompressed
// data, so neither an endless body nor a gzip bomb can exhaust memory.
func (f *Fetcher) readBody(hr *http.Response) ([]byte, error) {
	limit := f.maxBytes()
	tooLarge := fmt.Errorf("%w: body exceeds %s after decompression "+
		"(raise poll.max_body_mb in config.yaml to accept it)", ErrTooLarge, sizeString(limit))
	if hr.ContentLength > limit {
		return nil, tooLarge // honest about it: don't even start
	}
	encoding := hr.Header.Get("Content-Encoding")
	r, err := decompress(hr.Body, encoding)
	if err != nil {
		return nil, err
	}
	size := hr.ContentLength // the decompressed size, when nothing is to decompress
	if strings.TrimSpace(encoding) != "" && !strings.EqualFold(strings.TrimSpace(encoding), "identity") {
		size = -1
	}
	body, err := readAll(io.LimitReader(r, limit+1), size)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	return body, nil
}

// readAll reads r to its end into one slice, allocated once: of the
// announced size when there is one, else after reading in growing chunks.
// (io.ReadAll grows its slice by doubling, which held 2.4 times a 148 MB
// body at its peak.)
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size >= 0 {
		buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	var chunks [][]byte
	total := 0
	for n := 64 << 10; ; n = min(2*n, 4<<20) {
		c := make([]byte, n)
		got, err := io.ReadFull(r, c)
		chunks, total = append(chunks, c[:got]), total+got
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	body := make([]byte, 0, total)
	copied := 0
	for i, c := range chunks {
		body = append(body, c...)
		chunks[i] = nil
		if copied += len(c); copied >= handBack {
			// A large body would otherwise be held twice at the end of
			// the join: hand back the chunks copied so far.
			debug.FreeOSMemory()
			copied = 0
		}
	}
	return body, nil
}

// handBack is how much of a body is copied out of its chunks before they
// are handed back to the system.
const handBack = 32 << 20

// decompress undoes the Content-Encoding list, last applied first.
func decompress(r io.Reader, contentEncoding string) (io.Reader, error) {
	codings := strings.Split(contentEncoding, ",")
	if len(codings) > 2 {
		return nil, fmt.Errorf("refused Content-Encoding %q: too many layers", contentEncoding)
	}
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		switch c := strings.ToLower(strings.TrimSpace(codings[i])); c {
		case "", "identity":
		case "gzip", "x-gzip":
			r, err = gunzip(r)
		case "deflate":
			r, err = inflate(r)
		default:
			return nil, fmt.Errorf("unsupported Content-Encoding %q (Herald asked for gzip or deflate)", c)
		}
		if err != nil {
			return nil, fmt.Errorf("decompress %s body: %w", codings[i], err)
		}
	}
	return r, nil
}

func gunzip(r io.Reader) (io.Reader, error) {
	zr, err := gzip.NewReader(r)
	if errors.Is(err, io.EOF) {
		return strings.NewReader(""), nil // an empty body labelled gzip
	}
	return zr, err
}

// inflate reads "deflate", which the RFC defines as zlib-wrapped but which
// some servers send as a raw deflate stream.
func inflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	isZlib := len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0
	if !isZlib {
		return flate.NewReader(br), nil
	}
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, err
	}
	return zr, nil
}

// sizeString writes a byte count the way users set it: "16 MiB".
func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
