package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// client is a plain net/http client on one keep-alive connection, used
// sequentially: each request waits for the previous response, so a
// duration is one request's latency, not a queue's.
type client struct {
	http   *http.Client
	base   string // .../client/v4/zones/{zone}/custom_hostnames
	token  string
	dials  atomic.Int64
	buffer bytes.Buffer
}

func newClient(nodeURL, zoneID, token string) *client {
	c := &client{base: nodeURL + "/client/v4/zones/" + zoneID + "/custom_hostnames", token: token}
	d := &net.Dialer{Timeout: 5 * time.Second}
	c.http = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy: nil, // loopback: never through a proxy from the environment
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c.dials.Add(1)
				return d.DialContext(ctx, network, addr)
			},
			MaxIdleConns:        1,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			IdleConnTimeout:     0,
			DisableCompression:  true,
		},
	}
	return c
}

// do sends one request and reads the whole response; the duration runs from
// sending to the last byte of the body. The body is valid until the next do.
func (c *client) do(ctx context.Context, method, path string, body []byte) (int, []byte, time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	c.buffer.Reset()
	_, err = c.buffer.ReadFrom(resp.Body)
	elapsed := time.Since(start)
	resp.Body.Close()
	if err != nil {
		return 0, nil, 0, err
	}
	return resp.StatusCode, c.buffer.Bytes(), elapsed, nil
}

// envelope is the part of Cloudflare's envelope the checks read.
type envelope struct {
	Success    bool            `json:"success"`
	Result     json.RawMessage `json:"result"`
	ResultInfo *struct {
		Page       int `json:"page"`
		PerPage    int `json:"per_page"`
		Count      int `json:"count"`
		TotalCount int `json:"total_count"`
	} `json:"result_info"`
}

type hostnameResult struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
}

// call does one request, expects status want and a successful envelope,
// and returns it with the request's duration.
func (c *client) call(ctx context.Context, method, path string, body []byte, want int) (envelope, time.Duration, error) {
	status, b, d, err := c.do(ctx, method, path, body)
	if err != nil {
		return envelope{}, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil || status != want || !env.Success {
		return envelope{}, 0, fmt.Errorf("%s %s: status %d (want %d): %.300s", method, path, status, want, b)
	}
	return env, d, nil
}

// create POSTs s and checks the answer names it.
func (c *client) create(ctx context.Context, s spec) (time.Duration, error) {
	env, d, err := c.call(ctx, http.MethodPost, "", s.body(), http.StatusCreated)
	if err != nil {
		return 0, err
	}
	var h hostnameResult
	if err := json.Unmarshal(env.Result, &h); err != nil || h.Hostname != s.Name || h.ID == "" {
		return 0, fmt.Errorf("create %s answered %.300s", s.Name, env.Result)
	}
	return d, nil
}

// get GETs one hostname by id and checks it is the one asked for.
func (c *client) get(ctx context.Context, id, name string) (time.Duration, error) {
	env, d, err := c.call(ctx, http.MethodGet, "/"+id, nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	var h hostnameResult
	if err := json.Unmarshal(env.Result, &h); err != nil || h.ID != id || h.Hostname != name {
		return 0, fmt.Errorf("get %s answered %.300s", id, env.Result)
	}
	return d, nil
}

// listExact lists with hostname=<name> and checks that exactly that
// hostname comes back.
func (c *client) listExact(ctx context.Context, id, name string) (time.Duration, error) {
	env, d, err := c.call(ctx, http.MethodGet, "?hostname="+url.QueryEscape(name), nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	var hs []hostnameResult
	if err := json.Unmarshal(env.Result, &hs); err != nil || len(hs) != 1 || hs[0].ID != id ||
		env.ResultInfo == nil || env.ResultInfo.TotalCount != 1 {
		return 0, fmt.Errorf("list hostname=%s answered %.300s", name, env.Result)
	}
	return d, nil
}

// page GETs page p of the whole list and checks its length against total,
// the number of hostnames in the zone.
func (c *client) page(ctx context.Context, p, perPage, total int) (time.Duration, error) {
	path := "?page=" + strconv.Itoa(p) + "&per_page=" + strconv.Itoa(perPage)
	env, d, err := c.call(ctx, http.MethodGet, path, nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	want := min(perPage, max(total-(p-1)*perPage, 0))
	var hs []hostnameResult
	if err := json.Unmarshal(env.Result, &hs); err != nil || len(hs) != want ||
		env.ResultInfo == nil || env.ResultInfo.TotalCount != total {
		return 0, fmt.Errorf("list %s: %d hostnames (want %d), result_info %+v", path, len(hs), want, env.ResultInfo)
	}
	return d, nil
}

// total reads the zone's hostname count from the first page's result_info.
func (c *client) total(ctx context.Context) (int, error) {
	env, _, err := c.call(ctx, http.MethodGet, "?per_page=1", nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	if env.ResultInfo == nil {
		return 0, fmt.Errorf("list without result_info")
	}
	return env.ResultInfo.TotalCount, nil
}
