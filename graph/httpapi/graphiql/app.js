// Starts GraphiQL against /query with a room-page query and an example header ready.
// Headers typed by the user (a token) are not saved to localStorage unless the
// user turns "Persist headers" on in GraphiQL's settings.
(function () {
  // GraphiQL honours that switch for its headers editor, but its history and
  // tab state still write each query's headers to localStorage. This storage
  // blanks every "headers" member of what GraphiQL saves, unless the user opted
  // in.
  function persistHeaders() {
    return window.localStorage.getItem('graphiql:shouldPersistHeaders') === 'true';
  }
  function blankHeaders(v) {
    if (Array.isArray(v)) {
      v.forEach(blankHeaders);
    } else if (v && typeof v === 'object') {
      Object.keys(v).forEach(function (k) {
        if (k === 'headers' && typeof v[k] === 'string') {
          v[k] = '';
        } else {
          blankHeaders(v[k]);
        }
      });
    }
    return v;
  }
  var storage = {
    getItem: function (k) { return window.localStorage.getItem(k); },
    setItem: function (k, value) {
      // The switch itself is always saved, so that opting in takes effect.
      if (k !== 'graphiql:shouldPersistHeaders' && !persistHeaders()) {
        if (k === 'graphiql:headers') {
          return; // the headers editor's own key
        }
        try {
          value = JSON.stringify(blankHeaders(JSON.parse(value)));
        } catch (e) { /* not JSON: nothing to blank */ }
      }
      window.localStorage.setItem(k, value);
    },
    removeItem: function (k) { window.localStorage.removeItem(k); },
    clear: function () { window.localStorage.clear(); },
    get length() { return window.localStorage.length; }
  };

  var query = [
    '# A room\'s page by its slug, in one request: the room, its members, its',
    '# posts with their authors and comments, and the viewer\'s own rooms.',
    '# The Authorization header (below, in Headers) signs in as a demo user;',
    '# remove it to query anonymously. Ids keep every digit:',
    'query RoomPage {',
    '  exact: rooms(ids: ["9007199254740993"]) { id name }',
    '  room(url: "group-1") {',
    '    id name roomType membersCount',
    '    isOwner isMember privateToken',
    '    members(first: 3) {',
    '      totalCount',
    '      nodes { username profile { followersCount } }',
    '    }',
    '    posts(first: 2) {',
    '      nodes {',
    '        id body createdAt',
    '        author { username }',
    '        comments(first: 2) { totalCount nodes { body } }',
    '      }',
    '    }',
    '  }',
    '  viewer {',
    '    user { username }',
    '    joinedRooms(first: 3) { totalCount nodes { name } }',
    '  }',
    '}',
    ''
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/query', window.location.href).toString() });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: query,
    defaultHeaders: '{ "Authorization": "Bearer demo-aisha" }',
    // Off until the user turns "Persist headers" on in the settings dialog.
    showPersistHeadersSettings: true,
    storage: storage,
    defaultEditorToolsVisibility: true
  }));
})();
