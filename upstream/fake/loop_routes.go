package fake

// The reflection loop's routes: the feed and the other lists of posts, the
// writes on posts and comments, a comment's replies, and the searches of users
// and tags.
const (
	RouteFeed              = "GET /quran-reflect/v1/posts/feed"
	RouteRelatedPosts      = "GET /quran-reflect/v1/posts/{id}/related"
	RouteReReflections     = "GET /quran-reflect/v1/posts/{id}/re-reflections"
	RouteMyPosts           = "GET /quran-reflect/v1/posts/my-posts"
	RoutePostLiked         = "GET /quran-reflect/v1/posts/{id}/liked"
	RouteCreatePost        = "POST /quran-reflect/v1/posts"
	RouteEditPost          = "PATCH /quran-reflect/v1/posts/{id}"
	RouteDeletePost        = "DELETE /quran-reflect/v1/posts/{id}"
	RouteTogglePostLike    = "POST /quran-reflect/v1/posts/{id}/toggle-like"
	RouteTogglePostSave    = "POST /quran-reflect/v1/posts/{id}/toggle-save"
	RouteReportPost        = "POST /quran-reflect/v1/posts/{id}/report"
	RoutePostViewed        = "POST /quran-reflect/v1/posts/viewed/{id}"
	RoutePostViewedPrelive = "GET /quran-reflect/v1/posts/viewed/{id}" // pre-live's form of RoutePostViewed
	RouteCreateComment     = "POST /quran-reflect/v1/comments"
	RouteEditComment       = "PATCH /quran-reflect/v1/comments/{id}"
	RouteDeleteComment     = "GET /quran-reflect/v1/comments/{id}/delete"
	RouteCommentReplies    = "GET /quran-reflect/v1/comments/{id}/replies"
	RouteToggleCommentLike = "POST /quran-reflect/v1/comments/{id}/toggle-like"
	RouteSearchUsers       = "GET /quran-reflect/v1/users/search"
	RouteTags              = "GET /quran-reflect/v1/tags"
	RouteTrendingHashtags  = "GET /quran-reflect/v1/trending-hashtags"
)

func (s *Server) loopRoutes() []routeOf {
	return []routeOf{
		{RouteFeed, s.handleFeed},
		{RouteRelatedPosts, s.handleRelated},
		{RouteReReflections, s.handleReReflections},
		{RouteMyPosts, s.handleMyPosts},
		{RoutePostLiked, s.handleLiked},
		{RouteCreatePost, s.handleCreatePost},
		{RouteEditPost, s.handleEditPost},
		{RouteDeletePost, s.handleDeletePost},
		{RouteTogglePostLike, s.handlePostToggle(false)},
		{RouteTogglePostSave, s.handlePostToggle(true)},
		{RouteReportPost, s.handleReport},
		{RoutePostViewed, s.handleViewed},
		{RoutePostViewedPrelive, s.handleViewed},
		{RouteCreateComment, s.handleCreateComment},
		{RouteEditComment, s.handleEditComment},
		{RouteDeleteComment, s.handleDeleteComment},
		{RouteCommentReplies, s.handleReplies},
		{RouteToggleCommentLike, s.handleCommentLike},
		{RouteSearchUsers, s.handleSearchUsers},
		{RouteTags, s.handleTags},
		{RouteTrendingHashtags, s.handleTrendingHashtags},
	}
}
