// Starts GraphiQL against /query with a room query and an example header ready.
// Headers typed by the user (a token) are not saved to localStorage unless the
// user turns "Persist headers" on in GraphiQL's settings.
(function () {
  var query = [
    '# A room with its mutual followers. The Authorization header (below, in',
    '# Headers) signs in as a demo user; remove it to query anonymously.',
    'query Room($id: ID!) {',
    '  room(id: $id) {',
    '    id name description roomType membersCount createdAt',
    '    isOwner isMember privateToken',
    '    mutualFollowersCount',
    '    mutualFollowers { username firstName verified }',
    '  }',
    '  rooms(ids: ["2", "3", "9007199254740993"]) { id name roomType }',
    '}',
    ''
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/query', window.location.href).toString() });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: query,
    defaultVariables: '{ "id": "1" }',
    defaultHeaders: '{ "Authorization": "Bearer demo-aisha" }',
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: true
  }));
})();
