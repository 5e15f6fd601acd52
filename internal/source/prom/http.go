package prom

import "net/http"

// HTTPClient returns an HTTP client that sends requests as c does: with
// its credentials (their files re-read for every request), headers, TLS
// settings and timeout. It is for the server's other APIs, such as
// Prometheus's lifecycle API (/-/reload) and /api/v1/rules.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{Transport: c.tr, Timeout: c.cfg.Timeout}
}

// BaseURL returns the server's base URL without credentials (a password
// in the configured URL is sent by HTTPClient's requests, not in it).
func (c *Client) BaseURL() string {
	addr, _, _, _, err := parseURL(c.cfg.URL)
	if err != nil {
		return c.display
	}
	return addr
}
