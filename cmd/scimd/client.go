package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// clientFlags are the connection flags of the HTTP client commands.
type clientFlags struct {
	url      string
	token    string
	progress bool
}

func (cf *clientFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&cf.url, "url", "http://localhost:8080", "server base URL (env SCIMD_URL)")
	f.StringVar(&cf.token, "token", "", "bearer token (env SCIMD_TOKEN)")
	f.BoolVar(&cf.progress, "progress", true, "show progress bars on stderr")
}

// client is a small SCIM HTTP client for the import/export commands.
type client struct {
	base  string
	token string
	http  *http.Client
}

func (cf *clientFlags) client() (*client, error) {
	if cf.token == "" {
		return nil, fmt.Errorf("a token is required (--token or SCIMD_TOKEN)")
	}
	return &client{base: strings.TrimRight(cf.url, "/"), token: cf.token, http: &http.Client{}}, nil
}

func (c *client) do(ctx context.Context, method, url string, body io.Reader, contentType string) (*http.Response, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		url = c.base + url
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.http.Do(req)
}

// scimErr reads a SCIM error body into a Go error.
func scimErr(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e struct {
		Detail   string `json:"detail"`
		ScimType string `json:"scimType"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Detail != "" {
		if e.ScimType != "" {
			return fmt.Errorf("server answered %d (%s): %s", resp.StatusCode, e.ScimType, e.Detail)
		}
		return fmt.Errorf("server answered %d: %s", resp.StatusCode, e.Detail)
	}
	return fmt.Errorf("server answered %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
}

// job is the client's view of a job record.
type job struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	Total            int64  `json:"total"`
	Processed        int64  `json:"processed"`
	Created          int64  `json:"created"`
	Updated          int64  `json:"updated"`
	Unchanged        int64  `json:"unchanged"`
	Skipped          int64  `json:"skipped"`
	Failed           int64  `json:"failed"`
	Truncated        int64  `json:"truncated"`
	MembershipsAdded int64  `json:"membershipsAdded"`
	Error            string `json:"error"`
	DryRun           bool   `json:"dryRun"`
	Meta             struct {
		Location string `json:"location"`
	} `json:"meta"`
}

func (j *job) done() bool {
	return j.Status == "succeeded" || j.Status == "failed" || j.Status == "cancelled"
}

func (c *client) getJob(ctx context.Context, loc string) (*job, error) {
	resp, err := c.do(ctx, http.MethodGet, loc, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, scimErr(resp)
	}
	var j job
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return nil, fmt.Errorf("decode job: %w", err)
	}
	return &j, nil
}

// waitJob polls the job until it ends, calling progress on each poll.
func (c *client) waitJob(ctx context.Context, loc string, progress func(*job)) (*job, error) {
	for {
		j, err := c.getJob(ctx, loc)
		if err != nil {
			return nil, err
		}
		progress(j)
		if j.done() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(400 * time.Millisecond):
		}
	}
}
