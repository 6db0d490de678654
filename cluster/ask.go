package cluster

import (
	"context"
	"crypto/tls"
	"net/rpc"
	"time"
)

// Ask asks the node whose cluster port is at addr who it is: its id,
// whether it leads, the leader it knows, its applied index. tlsConfig is
// the cluster's mutual TLS (LoadTLS), nil for a plain TCP port
// (--cluster-insecure). Tools that start nodes, such as reconcile bench,
// find the leader with it.
func Ask(ctx context.Context, addr string, tlsConfig *tls.Config) (InfoReply, error) {
	timeout := callTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	conn, err := dial(addr, connCall, tlsConfig, timeout)
	if err != nil {
		return InfoReply{}, err
	}
	cl := rpc.NewClient(conn)
	defer cl.Close()
	var reply InfoReply
	select {
	case c := <-cl.Go("Calls.Info", struct{}{}, &reply, make(chan *rpc.Call, 1)).Done:
		return reply, c.Error
	case <-ctx.Done():
		return InfoReply{}, ctx.Err()
	}
}
