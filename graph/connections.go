package graph

import (
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The connection types are gqlgen's models; these fill them from a window.

func roomConnection(r paging.Result[upstream.Room], info *model.PageInfo) *model.RoomConnection {
	nodes := present(r.Items)
	c := &model.RoomConnection{Nodes: nodes, PageInfo: info, TotalCount: r.Total, Edges: make([]*model.RoomEdge, len(nodes))}
	for i, n := range nodes {
		c.Edges[i] = &model.RoomEdge{Cursor: paging.Cursor(r.Items[i].Offset), Node: n}
	}
	return c
}

func memberConnection(r paging.Result[upstream.Member], info *model.PageInfo) *model.RoomMemberConnection {
	nodes := present(r.Items)
	c := &model.RoomMemberConnection{Nodes: nodes, PageInfo: info, TotalCount: r.Total, Edges: make([]*model.RoomMemberEdge, len(nodes))}
	for i, n := range nodes {
		c.Edges[i] = &model.RoomMemberEdge{Cursor: paging.Cursor(r.Items[i].Offset), Node: n}
	}
	return c
}

func postConnection(r paging.Result[upstream.Post], info *model.PageInfo) *model.PostConnection {
	nodes := present(r.Items)
	c := &model.PostConnection{Nodes: nodes, PageInfo: info, TotalCount: r.Total, Edges: make([]*model.PostEdge, len(nodes))}
	for i, n := range nodes {
		c.Edges[i] = &model.PostEdge{Cursor: paging.Cursor(r.Items[i].Offset), Node: n}
	}
	return c
}

func commentConnection(r paging.Result[upstream.Comment], info *model.PageInfo) *model.CommentConnection {
	nodes := present(r.Items)
	c := &model.CommentConnection{Nodes: nodes, PageInfo: info, TotalCount: r.Total, Edges: make([]*model.CommentEdge, len(nodes))}
	for i, n := range nodes {
		c.Edges[i] = &model.CommentEdge{Cursor: paging.Cursor(r.Items[i].Offset), Node: n}
	}
	return c
}

func userConnection(r paging.Result[upstream.User], info *model.PageInfo) *model.UserConnection {
	nodes := present(r.Items)
	c := &model.UserConnection{Nodes: nodes, PageInfo: info, TotalCount: r.Total, Edges: make([]*model.UserEdge, len(nodes))}
	for i, n := range nodes {
		c.Edges[i] = &model.UserEdge{Cursor: paging.Cursor(r.Items[i].Offset), Node: n}
	}
	return c
}
