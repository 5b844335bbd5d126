package node

import "github.com/porticohq/portico/internal/config"

// WithEdge is a Start mutator that runs the node's edge on loopback ports
// the system picks (the default :443/:80 are neither free nor bindable in
// tests). Read the addresses with EdgeHTTPS and EdgeHTTP.
func WithEdge(c *config.Serve) {
	c.Edge.HTTPSListen = "127.0.0.1:0"
	c.Edge.HTTPListen = "127.0.0.1:0"
	c.Edge.AccessLog = true
}

// EdgeHTTPS is the address of the node's edge HTTPS listener ("" when the
// edge is off).
func (n *Node) EdgeHTTPS() string {
	if e := n.Daemon.Edge(); e != nil {
		return e.HTTPSAddr()
	}
	return ""
}

// EdgeHTTP is the address of the node's edge HTTP listener ("" when off).
func (n *Node) EdgeHTTP() string {
	if e := n.Daemon.Edge(); e != nil {
		return e.HTTPAddr()
	}
	return ""
}
