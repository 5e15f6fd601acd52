package prom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// maxErrorBody bounds how much of an error response's body is read.
const maxErrorBody = 1 << 20

// rangeArgs returns the form of one query_range request, as client_golang
// encodes it: times and the step in float seconds, the server-side timeout
// as a Go duration.
func rangeArgs(expr string, start, end time.Time, step, timeout time.Duration) url.Values {
	args := url.Values{}
	if timeout > 0 {
		args.Set("timeout", timeout.String())
	}
	args.Set("query", expr)
	args.Set("start", formatTime(start))
	args.Set("end", formatTime(end))
	args.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	return args
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.Unix())+float64(t.Nanosecond())/1e9, 'f', -1, 64)
}

// queryRange sends one query_range request through the Client's transport
// (headers, credentials, nocache, the exchange record) and decodes the body
// as it arrives, keeping samples in [lo, hi] (Unix ms). It asks as
// client_golang does: a POST form, repeated once as a GET when the server
// answers 403, 405 or 501. Errors are those of client_golang's v1 API, so
// that classify reads them the same way: transport and body read errors as
// they are, error statuses and undecodable bodies as *v1.Error.
func (c *Client) queryRange(ctx context.Context, args url.Values, lo, hi int64) (*rangeBody, error) {
	encoded := args.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.rangeURL, strings.NewReader(encoded))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Let net/http retry the POST on a stale keep-alive connection, as for
	// a GET: the query has no side effects.
	req.Header["Idempotency-Key"] = nil
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		discard(resp)
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.rangeURL+"?"+encoded, nil); err != nil {
			return nil, err
		}
		if resp, err = c.hc.Do(req); err != nil {
			return nil, err
		}
	}
	if resp.StatusCode/100 != 2 {
		defer discard(resp)
		return nil, errorResponse(resp)
	}
	body := newReadAhead(resp.Body)
	b, err := decodeQueryRange(body, lo, hi)
	body.Close()
	if err != nil {
		if se := (*syntaxError)(nil); errors.As(err, &se) {
			return nil, &v1.Error{Type: v1.ErrBadResponse, Msg: se.Error()}
		}
		return nil, err
	}
	if b.status == "error" {
		return nil, &v1.Error{Type: v1.ErrorType(b.errorType), Msg: b.errMsg}
	}
	return b, nil
}

// discard reads a little of what is left of a body, so that the
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// errorResponse turns a response with an error status into the error
// client_golang returns for it: for 400 and 422 the error of Prometheus's
// JSON envelope, for other statuses the body as the error's detail.
func errorResponse(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return err
	}
	code := resp.StatusCode
	generic := func() error {
		t, msg := v1.ErrBadResponse, fmt.Sprintf("bad response code %d", code)
		switch code / 100 {
		case 4:
			t, msg = v1.ErrClient, fmt.Sprintf("client error: %d", code)
		case 5:
			t, msg = v1.ErrServer, fmt.Sprintf("server error: %d", code)
		}
		return &v1.Error{Type: t, Msg: msg, Detail: string(body)}
	}
	if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		return generic()
	}
	var env struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil {
		return generic()
	}
	if env.Status == "success" {
		return &v1.Error{Type: v1.ErrBadResponse, Msg: "inconsistent body for response code"}
	}
	if env.ErrorType == "" {
		env.ErrorType = string(v1.ErrClient)
	}
	if env.Error == "" {
		env.Error = fmt.Sprintf("client error: %d", code)
	}
	return &v1.Error{Type: v1.ErrorType(env.ErrorType), Msg: env.Error}
}
