package graph

import (
	"context"

	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The connection types are gqlgen's models, one per item type; these fill them
// from a window.

// nodesAndEdges are a window's items, nil for those that could not be read, and
// their edges, made by edge from each item's cursor.
func nodesAndEdges[T any, E any](r paging.Result[T], edge func(cursor string, node *T) E) ([]*T, []E) {
	nodes := present(r.Items)
	edges := make([]E, len(nodes))
	for i, n := range nodes {
		edges[i] = edge(r.List.Cursor(r.Items[i].Offset), n)
	}
	return nodes, edges
}

func roomConnection(r paging.Result[upstream.Room], info *model.PageInfo) *model.RoomConnection {
	nodes, edges := nodesAndEdges(r, func(c string, n *upstream.Room) *model.RoomEdge { return &model.RoomEdge{Cursor: c, Node: n} })
	return &model.RoomConnection{Nodes: nodes, Edges: edges, PageInfo: info, TotalCount: r.Total}
}

// memberConnection puts each member's person on the node and their role in
// the room on the edge.
func (rs *Resolver) memberConnection(ctx context.Context, r paging.Result[upstream.Member], info *model.PageInfo) *model.RoomMemberConnection {
	members, edges := nodesAndEdges(r, func(c string, n *upstream.Member) *model.RoomMemberEdge {
		e := &model.RoomMemberEdge{Cursor: c}
		if n != nil {
			e.Node, e.IsAdmin, e.IsOwner, e.IsActive = rs.person(ctx, n.AsUser()), n.IsAdmin, n.IsOwner, n.IsActive
		}
		return e
	})
	nodes := make([]*model.Person, len(members))
	for i, e := range edges {
		nodes[i] = e.Node
	}
	return &model.RoomMemberConnection{Nodes: nodes, Edges: edges, PageInfo: info, TotalCount: r.Total}
}

func postConnection(r paging.Result[upstream.Post], info *model.PageInfo) *model.PostConnection {
	nodes, edges := nodesAndEdges(r, func(c string, n *upstream.Post) *model.PostEdge { return &model.PostEdge{Cursor: c, Node: n} })
	return &model.PostConnection{Nodes: nodes, Edges: edges, PageInfo: info, TotalCount: r.Total}
}

func commentConnection(r paging.Result[upstream.Comment], info *model.PageInfo) *model.CommentConnection {
	nodes, edges := nodesAndEdges(r, func(c string, n *upstream.Comment) *model.CommentEdge {
		return &model.CommentEdge{Cursor: c, Node: n}
	})
	return &model.CommentConnection{Nodes: nodes, Edges: edges, PageInfo: info, TotalCount: r.Total}
}

func (rs *Resolver) userConnection(ctx context.Context, r paging.Result[upstream.User], info *model.PageInfo) *model.UserConnection {
	_, edges := nodesAndEdges(r, func(c string, n *upstream.User) *model.UserEdge {
		e := &model.UserEdge{Cursor: c}
		if n != nil {
			e.Node = rs.person(ctx, *n)
		}
		return e
	})
	nodes := make([]*model.Person, len(edges))
	for i, e := range edges {
		nodes[i] = e.Node
	}
	return &model.UserConnection{Nodes: nodes, Edges: edges, PageInfo: info, TotalCount: r.Total}
}
