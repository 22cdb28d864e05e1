// Starts GraphiQL against /query with a room-page query and, when nobody is
// signed in, an example header ready. Headers typed by the user (a token) are
// not saved to localStorage unless the user turns "Persist headers" on in
// GraphiQL's settings. A bar in GraphiQL's logo slot shows who is signed in
// (from /auth/session: the session cookie itself is httpOnly, so no script here
// ever sees it) with "Sign out", or a "Sign in" link.
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
    '# Signed out, the example Authorization header (in Headers, below) signs',
    '# in as a demo user; remove it to query anonymously. Signed in ("Sign in",',
    '# top right), queries run as you with no header. Ids keep every digit:',
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
  // X-CSRF on every request: a request signed in by the session cookie must
  // show it is not a cross-site forgery. Headers typed in the editor come on top.
  var fetcher = GraphiQL.createFetcher({
    url: new URL('/query', window.location.href).toString(),
    headers: { 'X-CSRF': '1' }
  });

  var h = React.createElement;

  // SignIn is the bar's content, given /auth/session's answer (null when that
  // could not be read).
  function SignIn(props) {
    var session = props.session;
    var busyState = React.useState(false), busy = busyState[0], setBusy = busyState[1];
    var problemState = React.useState(''), problem = problemState[0], setProblem = problemState[1];
    if (!session || !session.signedIn) {
      return h('span', { className: 'signin' },
        h('span', { id: 'signin-status' }, session ? 'Not signed in' : 'Sign-in status unavailable'),
        h('a', { id: 'signin-link', className: 'graphiql-button', href: '/auth/login?returnTo=/' }, 'Sign in'));
    }
    var user = session.user || {};
    function signOut() {
      setBusy(true);
      setProblem('');
      fetch('/auth/logout', { method: 'POST', headers: { 'X-CSRF': '1' }, credentials: 'same-origin' })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        })
        .then(function (out) {
          // The provider's logout page, which comes back here; else just reload.
          if (typeof out.logoutUrl === 'string' && /^https?:\/\//i.test(out.logoutUrl)) {
            window.location.assign(out.logoutUrl);
          } else {
            window.location.reload();
          }
        })
        .catch(function (e) {
          setBusy(false);
          setProblem('Sign-out failed (' + e.message + ')');
        });
    }
    return h('span', { className: 'signin' },
      h('span', { id: 'signin-status' },
        problem || 'Signed in as ' + (user.name || user.username) + ' (@' + user.username + ')'),
      h('button', { id: 'signout-button', type: 'button', className: 'graphiql-button', disabled: busy, onClick: signOut },
        busy ? 'Signing out…' : 'Sign out'));
  }

  // start renders GraphiQL once the session is known: signed in, there is no
  // example Authorization header, since a header would win over the session.
  // session is null when it could not be read, undefined when this server has
  // no /auth/ (GraphiQL's own logo then).
  function start(session) {
    var signedIn = Boolean(session && session.signedIn);
    var root = ReactDOM.createRoot(document.getElementById('graphiql'));
    root.render(h(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      defaultHeaders: signedIn ? '' : '{ "Authorization": "Bearer demo-aisha" }',
      // Off until the user turns "Persist headers" on in the settings dialog.
      showPersistHeadersSettings: true,
      storage: storage,
      defaultEditorToolsVisibility: true
    }, session === undefined ? null : h(GraphiQL.Logo, null, h(SignIn, { session: session }))));
  }

  fetch('/auth/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(function (r) {
      if (r.status === 404) return undefined;
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .catch(function () { return null; })
    .then(start);
})();
