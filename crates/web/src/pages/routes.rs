//! Mounting a table of routes: each row names the addresses of one
//! resource (a page answers at its Vietnamese and its English address
//! alike) and the handlers they share.

use axum::Router;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// One resource: its addresses and the handlers of its methods.
pub type Route = (&'static [&'static str], MethodRouter<AppState>);

/// A router with every row's handlers at each of its addresses.
pub fn mount(table: Vec<Route>) -> Router<AppState> {
    table
        .into_iter()
        .fold(Router::new(), |router, (paths, handlers)| {
            paths
                .iter()
                .fold(router, |router, path| router.route(path, handlers.clone()))
        })
}
