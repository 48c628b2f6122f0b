//! Listing databases a page at a time: by name with a cursor or an offset (the catalog's own
//! order, paged in place), or sorted by any column and searched by substring (offset paging).

use std::sync::Arc;

use dbforge_api::{DatabaseInfo, DatabaseList, DatabaseName, SortKey, SortOrder};

use crate::auth::Principal;
use crate::error::{CoreError, CoreResult};
use crate::state::Inner;

/// Most databases in one page of the list.
pub const MAX_PAGE: usize = 1_000;

/// Which databases to list, in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Databases per page (1 to [`MAX_PAGE`]).
    pub limit: usize,
    /// Continue after this name (the previous page's `next_cursor`; name order only).
    pub after: Option<String>,
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Only names containing this (case-insensitive).
    pub search: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    /// Databases to skip (offset paging; any order).
    pub offset: Option<usize>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            limit: 100,
            after: None,
            prefix: None,
            search: None,
            sort: SortKey::Name,
            order: SortOrder::Asc,
            offset: None,
        }
    }
}

impl ListQuery {
    /// Whether the query lists in the catalog's own order (by name, ascending, no search),
    /// which pages without sorting anything, by cursor or by offset.
    fn in_name_order(&self) -> bool {
        self.search.is_none() && self.order == SortOrder::Asc && self.sort == SortKey::Name
    }

    fn check(&self) -> CoreResult<()> {
        if !(1..=MAX_PAGE).contains(&self.limit) {
            return Err(CoreError::invalid_request(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        if let Some(after) = &self.after {
            DatabaseName::parse(after)
                .map_err(|e| CoreError::invalid_request(format!("after: {e}")))?;
            if self.offset.is_some() || !self.in_name_order() {
                return Err(CoreError::invalid_request(
                    "`after` pages by name only; with search, sort, order or offset, page by `offset`",
                ));
            }
        }
        Ok(())
    }
}

/// One page of the list (statting files: call on a blocking thread).
pub(crate) fn list(
    inner: &Arc<Inner>,
    query: &ListQuery,
    principal: &Principal,
) -> CoreResult<DatabaseList> {
    query.check()?;
    // A key that does not see every database lists what it sees, in any order, paged by
    // offset over its own databases (the catalog's in-place paging counts them all).
    if !query.in_name_order() {
        return Ok(sorted_listing(inner, query, principal));
    }
    let limit = query.limit;
    let prefix = query.prefix.as_deref().unwrap_or_default();
    let (page, total) = if principal.is_admin() {
        // Name order is the catalog's own: page it in place, by cursor or by offset.
        inner.catalog.page(
            prefix,
            query.after.as_deref(),
            query.offset.unwrap_or(0),
            limit + 1,
        )
    } else {
        // A key that sees some databases pages over those.
        let mut visible = inner.catalog.matching(prefix, "");
        visible.retain(|(name, entry)| principal.may_see(name, entry));
        let total = visible.len();
        let page = visible
            .into_iter()
            .filter(|(name, _)| query.after.as_deref().is_none_or(|a| name.as_str() > a))
            .skip(query.offset.unwrap_or(0))
            .take(limit + 1)
            .collect();
        (page, total)
    };
    let more = page.len() > limit;
    let databases: Vec<DatabaseInfo> = page
        .into_iter()
        .take(limit)
        .map(|(n, e)| inner.info(n, &e))
        .collect();
    let next_cursor = if more {
        databases.last().map(|d| d.name.to_string())
    } else {
        None
    };
    Ok(DatabaseList {
        databases,
        total: total as u64,
        next_cursor,
    })
}

/// Any order, any direction, names containing `search`: every matching entry is sorted (at
/// 10,000 databases a few milliseconds) and one page is cut out by offset. The sort keys are
/// read once, not per comparison: table counts of open databases from one snapshot of the
/// engine, sizes from the shared measurement (`disk_sizes`) except for open databases, the
/// only ones this gateway changes, which are statted now. `next_cursor` stays null: the
/// caller pages by `offset`.
fn sorted_listing(inner: &Arc<Inner>, query: &ListQuery, principal: &Principal) -> DatabaseList {
    let prefix = query.prefix.as_deref().unwrap_or_default();
    let search = query
        .search
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut entries = inner.catalog.matching(prefix, &search);
    entries.retain(|(name, entry)| principal.may_see(name, entry));
    match query.sort {
        SortKey::Name => {}
        SortKey::Created => entries.sort_by_key(|(_, e)| e.created_at_ms),
        SortKey::Tables => {
            let live = inner.engine.open_table_counts();
            entries.sort_by_cached_key(|(n, e)| live.get(n).copied().unwrap_or(e.table_count));
        }
        SortKey::Size => {
            let measured = inner.disk_sizes();
            let open = inner.engine.open_table_counts();
            entries.sort_by_cached_key(|(n, _)| match measured.per_database.get(n) {
                Some(bytes) if !open.contains_key(n) => *bytes,
                _ => inner.engine.size_on_disk(n),
            });
        }
    }
    if query.order == SortOrder::Desc {
        entries.reverse();
    }
    let total = entries.len() as u64;
    let databases = entries
        .into_iter()
        .skip(query.offset.unwrap_or(0))
        .take(query.limit)
        .map(|(n, e)| inner.info(n, &e))
        .collect();
    DatabaseList {
        databases,
        total,
        next_cursor: None,
    }
}
