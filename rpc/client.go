package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Call is a minimal client of the HTTP API, for the tools and tests that drive a real
// server (the crash harness, the soak, end-to-end tests): it posts one request to url
// with credential as the bearer token and decodes the result into out (nil: ignored).
// A JSON-RPC error comes back as an error naming the method, its code and message.
func Call(url, credential, method string, params, out any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+credential)
	resp, err := callClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: HTTP %d, unreadable reply: %v", method, resp.StatusCode, err)
	}
	if r.Error != nil {
		return fmt.Errorf("%s: rpc error %d: %s", method, r.Error.Code, r.Error.Message)
	}
	if out != nil {
		return json.Unmarshal(r.Result, out)
	}
	return nil
}

var callClient = &http.Client{Timeout: 30 * time.Second}
