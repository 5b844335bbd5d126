// Command upstream is the edge benchmark's origin: a minimal HTTP/1.1
// server on loopback that answers GET / with 100 bytes and GET /16k with
// 16 KiB, keep-alive, and prints its address on stdout.
//
// It is hand-written rather than net/http because it shares a core with the
// load generator (bench/edge/run.sh pins the proxies to the other one):
// the cheaper it is, the less it limits what any proxy can show. It reads
// request headers up to the blank line and ignores them; requests with a
// body are refused, which no benchmark request has.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ln.Close()
	}()
	small, big := response(100), response(16<<10)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go serve(c, small, big)
	}
}

// response is a complete 200 response with an n-byte body.
func response(n int) []byte {
	body := bytes.Repeat([]byte("x"), n)
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n"
	return append([]byte(head), body...)
}

var errBadRequest = errors.New("bad request")

func serve(c net.Conn, small, big []byte) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 8<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		resp := small
		if bytes.HasPrefix(line, []byte("GET /16k ")) {
			resp = big
		}
		closeAfter, err := skipHeaders(r)
		if err != nil {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		if _, err := c.Write(resp); err != nil || closeAfter {
			return
		}
	}
}

// skipHeaders reads header lines up to the blank one; it reports whether
// the client asked to close, and refuses a body.
func skipHeaders(r *bufio.Reader) (closeAfter bool, err error) {
	for range 100 {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(line) <= 2 {
			return closeAfter, nil
		}
		switch {
		case hasPrefixFold(line, "connection: close"):
			closeAfter = true
		case hasPrefixFold(line, "transfer-encoding:"):
			return false, errBadRequest
		case hasPrefixFold(line, "content-length:") && !bytes.Equal(bytes.TrimSpace(line[len("content-length:"):]), []byte("0")):
			return false, errBadRequest
		}
	}
	return false, errBadRequest
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
