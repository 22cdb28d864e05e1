package model

// Viewer is the signed-in caller in the graph. It carries nothing: the viewer is
// the operation's (its token travels in the context), and each of its fields is
// resolved, and fetched, only when asked for.
type Viewer struct{}
