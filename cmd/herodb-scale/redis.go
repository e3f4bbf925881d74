package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// redisFloor runs the warm pass's load (m SELECT + GET pairs over nconns open
// connections) against a redis-server started beside herodb, so the report shows what
// this machine and this load generator give a server that does nothing but answer from
// memory: the floor under herodb's latencies. It returns nil when redis-server is not
// installed. With rate > 0 it also runs the paced pass at rate pairs a second.
func redisFloor(tmp string, m, nconns, rate int) (closed, paced *latencies, err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, nil, nil
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--databases", "16",
		"--save", "", "--appendonly", "no", "--dir", tmp)
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	r := &server{respAddr: fmt.Sprintf("127.0.0.1:%d", port)}
	deadline := time.Now().Add(10 * time.Second)
	for ping(r.respAddr) != nil {
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("redis-server on %s did not answer PING", r.respAddr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx := context.Background()
	c := r.adminClient(1)
	conn := c.Conn()
	ids := make([]uint64, 16)
	for i := range ids {
		ids[i] = uint64(i)
		if err := conn.Select(ctx, i).Err(); err == nil {
			err = conn.Set(ctx, "k", "v", 0).Err()
		}
		if err != nil {
			conn.Close()
			c.Close()
			return nil, nil, err
		}
	}
	conn.Close()
	c.Close()
	closed = r.warm("the same warm load against redis-server (16 databases, in memory), just after", ids, m, nconns, "v")
	if rate > 0 {
		paced = r.warmAt(fmt.Sprintf("the paced load (%d pairs a second, %v) against redis-server", rate, pacedFor), ids, pacedOps(rate), nconns, rate, "v")
	}
	return closed, paced, nil
}

// pacedFor is how long a paced pass lasts.
const pacedFor = 5 * time.Second

// pacedOps is the pairs of a paced pass at rate a second.
func pacedOps(rate int) int { return int(float64(rate) * pacedFor.Seconds()) }
