// Generated from docs/openapi.json by `npm run types` (openapi-typescript): do not edit.
// `npm test` fails when this file is out of date.

export interface paths {
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The public keys that verify the server's tokens (JWKS), for other services. No key needed. */
        get: operations["jwks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Recent requests, newest first: time, key id, method, route, database, status, duration.
         * @description The gateway keeps the last few thousand requests in memory (`capacity`); reading this log
         *     is not itself logged.
         */
        get: operations["list_activity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit log: every admin action and every request that wrote (who, what, when, from
         *     where, outcome), newest first. Never SQL, parameters or secrets.
         */
        get: operations["list_audit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The effective configuration and limits. The admin key is masked; only where it comes
         *     from is shown.
         */
        get: operations["server_config"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List databases a page at a time: by name with a cursor (`after`) or `offset`, or sorted
         *     by any column and searched by substring with `offset` paging. In name order a page that
         *     is not the last has a `next_cursor`.
         */
        get: operations["list_databases"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/prune/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Delete a database and its files. */
        post: operations["delete_database"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/spawn/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a database. The optional body sets per-database limits. */
        post: operations["create_database"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Details of one database. */
        get: operations["get_database"];
        put?: never;
        post?: never;
        /** Delete a database and its files (same as `POST /admin/databases/prune/{name}`). */
        delete: operations["remove_database"];
        options?: never;
        head?: never;
        /**
         * Change a database's time to live (`"ttl": "2h"` from now, `null` never expires) and its
         *     backup schedule (`backup_every`, `backup_keep`; `null` takes the server's default). A
         *     field left out stays as it is.
         */
        patch: operations["update_database"];
        trace?: never;
    };
    "/admin/databases/{name}/backups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A database's backups, newest first (also of a database deleted since, for a caller that
         *     may create its name).
         */
        get: operations["list_backups"];
        put?: never;
        /**
         * Back a database up now: a consistent snapshot while it keeps taking reads and writes,
         *     compressed, stored in the backup destination, then read back and checked. Answers the
         *     backup once it is stored.
         */
        post: operations["create_backup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}/backups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download a backup as it is stored: the SQLite snapshot compressed with zstd
         *     (`zstd -d` gives the database file). `X-Dbforge-Sha256` is the SHA-256 of that file.
         */
        get: operations["download_backup"];
        put?: never;
        post?: never;
        /** Delete a backup from its destination. */
        delete: operations["delete_backup"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}/branch/{new}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Branch a database: `{new}` becomes an independent copy of one consistent point in time of
         *     `{name}` (changes to either never reach the other); its lineage is recorded.
         */
        post: operations["branch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import into a database, all or nothing: a SQLite file becomes a new database (checked
         *     first: header, `integrity_check`, quota); a SQL dump (as `sqlite3 .dump` writes it), CSV
         *     (header row), a JSON array or NDJSON of row objects load into a new or existing database
         *     in one transaction. A failure names the line or row and the reason, and leaves nothing
         *     behind (a database the import created is removed).
         */
        post: operations["import"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restore a backup: into a new database (`"as": "new-name"`, `201`), or over the database
         *     itself (`"confirm": "{name}"`, `200`), swapped in one transaction: a request sees the old
         *     content or the new, never a mix. The backup is read from its destination and checked
         *     (checksum, `integrity_check`, row counts) before anything changes.
         */
        post: operations["restore"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mint a token for one database (JWT, EdDSA): read-only or read-write, for a lifetime. Works
         *     as `authToken` in libSQL's clients and as a key on REST. Admins, and keys that see the
         *     database (at most their own access and expiry).
         */
        post: operations["mint_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/databases/{name}/tokens/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke every token of a database minted so far (admins, and keys that may delete it). */
        post: operations["revoke_database_tokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/gateway/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Gateway statistics: uptime, databases, bytes, requests, queries and their latency. */
        get: operations["gateway_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/gateway/timeseries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Recent traffic in fixed intervals (requests, 4xx and 5xx answers, queries, query latency
         *     p50/p99 per interval), oldest first, and the busiest databases of the last five minutes.
         */
        get: operations["gateway_timeseries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every key: name, prefix, role, scope, created, expires, last used (never the secret). */
        get: operations["list_keys"];
        put?: never;
        /** Create a key scoped to databases and a role. The secret is in this answer only. */
        post: operations["create_key"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a key at once: its next request is refused. */
        delete: operations["revoke_key"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Give a key a new secret with the same grants; the old secret stops working. */
        post: operations["rotate_key"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/tokens/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke every token of the server minted so far (admins only). */
        post: operations["revoke_all_tokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/db/{name}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a database, streamed: nothing is held whole, so there is no row limit. The rows
         *     are read in one read transaction (a consistent point in time); a failure after the first
         *     byte cuts the answer short (the chunked body never ends cleanly), so a partial export
         *     cannot pass for a complete one.
         */
        get: operations["export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/db/{name}/query": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run SQL: one statement (`sql` + `params`), or several atomically (`statements`).
         * @description A single `sql` answers with one result; `statements`, or a `sql` text holding several
         *     statements, answers with `{"results": [...]}`. Read-only requests run concurrently;
         *     writes are committed durably before the answer.
         */
        post: operations["run_query"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/db/{name}/tables": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Tables and views with their columns, indexes and foreign keys. */
        get: operations["list_tables"];
        put?: never;
        /** Create a table from a column list. */
        post: operations["create_table"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/db/{name}/tables/{table}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One table's or view's schema. */
        get: operations["get_table"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/db/{name}/tables/{table}/rows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read rows with limit/offset or keyset (`after`) paging, ordering and equality filters. */
        get: operations["read_rows"];
        put?: never;
        /** Insert one row (an object) or many (`{"rows": [...]}`) in one transaction. */
        post: operations["insert_rows"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who the caller is and what it may do: the kind of credential, its role and reach. Any
         *     credential may ask about itself.
         */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process is up and serving HTTP. */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics in the text exposition format. Admins only, unless the server runs
         *     with `--metrics-public`.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the catalog is loaded, the data directory is writable and its disk has room. */
        get: operations["ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description One request the gateway answered, as kept in its bounded activity log. */
        ActivityEntry: {
            /**
             * Format: int64
             * @description Increasing sequence number; pass as `before` to page further back.
             */
            id: number;
            /** @description RFC 3339 time the request arrived. */
            at: string;
            /**
             * @description A non-secret identifier of the API key that was accepted (a prefix of its SHA-256
             *     digest); null when no valid key was presented.
             */
            key_id?: string | null;
            method: string;
            /** @description The route pattern that matched (e.g. `/api/db/{name}/query`), or `unmatched`. */
            route: string;
            /** @description The database the request addressed, when the route names one. */
            database?: string | null;
            /** Format: int32 */
            status: number;
            /** Format: double */
            duration_ms: number;
        };
        /** @description `GET /admin/activity`: matching entries, newest first. */
        ActivityList: {
            entries: components["schemas"]["ActivityEntry"][];
            /**
             * Format: int64
             * @description How many requests the log keeps; older ones are forgotten.
             */
            capacity: number;
            /**
             * Format: int64
             * @description Pass as `before` to get the next (older) page; null when there is none.
             */
            next_before?: number | null;
        };
        /**
         * @description One audited request: who, what, when, from where, and how it ended. Never the SQL, its
         *     parameters, or a secret.
         */
        AuditEntry: {
            /**
             * Format: int64
             * @description Increasing with time; the cursor of the next page is the last entry's id.
             */
            id: number;
            /** @description RFC 3339, UTC, to the millisecond. */
            at: string;
            credential: components["schemas"]["CredentialKind"];
            /** @description The key's id (`key_...`) or the token's (`tok_...`); null for the bootstrap key. */
            credential_id?: string | null;
            /** @description The key's name, when a named key made the request. */
            credential_name?: string | null;
            /** @description The client's IP address. */
            client?: string | null;
            /** @description The method and route, e.g. `POST /admin/keys` or `POST /api/db/{name}/query`. */
            action: string;
            database?: string | null;
            /** @description The key the action was about (`key_...`: created, revoked or rotated). */
            target?: string | null;
            /** @description The kinds of the statements that wrote (their first keyword: `INSERT`, `CREATE`, ...). */
            statements: string[];
            /**
             * Format: int32
             * @description The HTTP status of the answer.
             */
            status: number;
            /** @description The error code of the answer, if it was an error. */
            error?: string | null;
        };
        /** @description `GET /admin/audit`. */
        AuditPage: {
            entries: components["schemas"]["AuditEntry"][];
            /**
             * Format: int64
             * @description Pass as `before` for the next (older) page; null on the last page.
             */
            next_cursor?: number | null;
        };
        /** @description One stored backup: its manifest, kept beside the snapshot in the destination. */
        BackupInfo: {
            /** @description Sorts in time order: `20261201T100203123Z-9f3a1c`. */
            id: string;
            database: string;
            /** @description RFC 3339 time of the snapshot. */
            created_at: string;
            kind: components["schemas"]["BackupKind"];
            /**
             * Format: int64
             * @description The snapshot's size (a plain SQLite file).
             */
            size_bytes: number;
            /**
             * Format: int64
             * @description The stored object's size (zstd-compressed).
             */
            stored_bytes: number;
            /** Format: int64 */
            page_count: number;
            /** Format: int64 */
            page_size: number;
            /** @description The SQLite version that wrote the snapshot. */
            sqlite_version: string;
            /** @description SHA-256 (hex) of the snapshot, checked on every restore. */
            sha256: string;
            /** @description `local` (`--backup-dir`) or `s3` (`--backup-url`). */
            destination: string;
            /**
             * @description Whether the stored backup was read back, decompressed and checked (checksum,
             *     `integrity_check`, the row count of every table) after it was written.
             */
            verified: boolean;
            /** @description Rows of each table in the snapshot. */
            row_counts: {
                [key: string]: number;
            };
        };
        /**
         * @description Why a backup was taken.
         * @enum {string}
         */
        BackupKind: "manual" | "scheduled" | "final";
        /** @description A database's backups, newest first. */
        BackupList: {
            backups: components["schemas"]["BackupInfo"][];
        };
        /** @description A database's backup schedule and how it is doing. */
        BackupStatus: {
            /** @description How often it is backed up (`1h`), or null when it has no schedule. */
            every?: string | null;
            /**
             * Format: int32
             * @description How many backups are kept (older ones are deleted after each new one).
             */
            keep: number;
            /** @description RFC 3339 time of the newest stored backup. */
            last_success_at?: string | null;
            /** @description RFC 3339 time of the last failed attempt since the last success. */
            last_failure_at?: string | null;
            /** @description Why that attempt failed. */
            last_error?: string | null;
            /** @description The schedule's time passed without a backup (or the last attempt failed). */
            overdue: boolean;
        };
        /** @description The result of a batch: one entry per statement, in order. */
        BatchResult: {
            results: components["schemas"]["StatementResult"][];
        };
        /** @description A database by the requests it received recently. */
        BusyDatabase: {
            name: string;
            /** Format: int64 */
            requests: number;
            /**
             * Format: int64
             * @description Answers with a 4xx or 5xx status.
             */
            errors: number;
            /** Format: double */
            mean_ms: number;
        };
        /** @description A column default: a literal value, or one of SQLite's time keywords. */
        ColumnDefault: {
            expression: string;
        } | unknown;
        /** @description One column of `POST /api/db/{name}/tables`. */
        ColumnDefinition: {
            name: string;
            /**
             * @description A type name such as `INTEGER`, `TEXT`, `REAL`, `BLOB`, `NUMERIC`, `VARCHAR(20)`;
             *     omitted means no declared type.
             */
            type?: string | null;
            primary_key?: boolean;
            /** @description Only with a single `INTEGER` primary key. */
            autoincrement?: boolean;
            not_null?: boolean;
            unique?: boolean;
            default?: components["schemas"]["ColumnDefault"] | null;
        };
        /** @description One column as SQLite reports it. */
        ColumnInfo: {
            name: string;
            type: string;
            not_null: boolean;
            /** @description The default as SQL text. */
            default?: string | null;
            /**
             * Format: int32
             * @description Position in the primary key, from 1; 0 when not part of it.
             */
            primary_key: number;
            /** @description Generated and hidden columns are reported with this flag. */
            hidden: boolean;
        };
        /** @description `POST /admin/keys`. */
        CreateKeyRequest: {
            /** @description A label for people (1-100 characters). */
            name: string;
            role: components["schemas"]["Role"];
            /**
             * @description The databases the key reaches: names, and prefixes ending in `*` (`ci-*`); `*` is every
             *     database. Ignored for `admin`.
             */
            databases?: string[];
            /** @description Whether the key may create (and delete) databases its patterns match. */
            can_create?: boolean;
            /** @description When the key stops working (RFC 3339, UTC, e.g. `2027-01-31T00:00:00Z`); never if absent. */
            expires_at?: string | null;
        };
        /** @description Body of `POST /api/db/{name}/tables`. */
        CreateTableRequest: {
            name: string;
            columns: components["schemas"]["ColumnDefinition"][];
            if_not_exists?: boolean;
            /** @description Create a STRICT table (types enforced by SQLite). */
            strict?: boolean;
        };
        /** @description A new key, or a rotated one: its secret, shown this once. */
        CreatedKey: {
            key: components["schemas"]["KeyInfo"];
            /** @description Send it as `X-API-Key` or `Authorization: Bearer`; it is stored only as a hash. */
            secret: string;
        };
        /**
         * @description What kind of credential a request presented.
         * @enum {string}
         */
        CredentialKind: "bootstrap_admin" | "key" | "token";
        /** @description One database as the gateway knows it. */
        DatabaseInfo: {
            name: components["schemas"]["DatabaseName"];
            /**
             * Format: int64
             * @description Bytes on disk: the database file plus its write-ahead log.
             */
            size_bytes: number;
            /** @description RFC 3339 time of creation (or adoption). */
            created_at: string;
            /** Format: int64 */
            table_count: number;
            /**
             * Format: int64
             * @description The effective size quota, in bytes.
             */
            max_size_bytes: number;
            /** @description Whether the database is open in the gateway's cache right now. */
            open: boolean;
            /** @description RFC 3339 time after which the database is deleted (its time to live), if it has one. */
            expires_at?: string | null;
            branched_from?: components["schemas"]["Lineage"] | null;
            backups?: components["schemas"]["BackupStatus"] | null;
        };
        /** @description Per-database limits; each unset field takes the server's default. */
        DatabaseLimits: {
            /**
             * Format: int64
             * @description Largest size the database file may grow to, in bytes; writes beyond it fail with
             *     `database_full`.
             */
            max_size_bytes?: number | null;
        };
        /** @description A page of databases, ordered by name. */
        DatabaseList: {
            databases: components["schemas"]["DatabaseInfo"][];
            /**
             * Format: int64
             * @description Databases matching the filter, over all pages.
             */
            total: number;
            /** @description Pass as `after` to get the next page; null on the last page. */
            next_cursor?: string | null;
        };
        /** @example orders-test */
        DatabaseName: string;
        /** @description Answer of `POST /admin/databases/prune/{name}` and `DELETE /admin/databases/{name}`. */
        Deleted: {
            deleted: components["schemas"]["DatabaseName"];
        };
        /** @description `{"code": "...", "message": "..."}`. */
        ErrorBody: {
            code: components["schemas"]["ErrorCode"];
            /** @description What went wrong and what to do about it, for people. */
            message: string;
        };
        /**
         * @description A stable, machine-readable error code.
         * @enum {string}
         */
        ErrorCode: "unauthorized" | "invalid_database_name" | "database_not_found" | "database_exists" | "table_not_found" | "column_not_found" | "invalid_request" | "invalid_json" | "unsupported_media_type" | "payload_too_large" | "sql_too_long" | "too_many_statements" | "route_not_found" | "method_not_allowed" | "sql_error" | "invalid_params" | "constraint_violation" | "forbidden" | "key_not_found" | "statement_not_allowed" | "query_timeout" | "database_full" | "value_too_large" | "transaction_open" | "result_too_large" | "transaction_rolled_back" | "transaction_timeout" | "streams_exhausted" | "baton_invalid" | "baton_reused" | "stream_expired" | "database_busy" | "rate_limited" | "server_busy" | "body_timeout" | "request_timeout" | "disk_full" | "not_ready" | "backup_not_found" | "backup_corrupt" | "invalid_database_file" | "storage_unavailable" | "internal_error" | "unknown";
        /** @description The body of every error response: `{"error": {"code": "...", "message": "..."}}`. */
        ErrorEnvelope: {
            error: components["schemas"]["ErrorBody"];
        };
        ForeignKeyInfo: {
            columns: string[];
            table: string;
            to_columns: (string | null)[];
            on_update: string;
            on_delete: string;
        };
        /** @description `GET /admin/gateway/stats`. */
        GatewayStats: {
            version: string;
            /** Format: int64 */
            uptime_seconds: number;
            /** Format: int64 */
            database_count: number;
            /** Format: int64 */
            total_bytes: number;
            /** Format: int64 */
            open_databases: number;
            /** Format: int64 */
            requests_total: number;
            /**
             * Format: int64
             * @description Operations on databases: each SQL request, each libSQL statement, and each call of
             *     the tables and rows routes; `query_errors_total` of them failed.
             */
            queries_total: number;
            /** Format: int64 */
            query_errors_total: number;
            query_latency: components["schemas"]["LatencyPercentiles"];
            /**
             * Format: int64
             * @description Write transactions committed, and the requests they carried (group commit); a request
             *     rolled back alone inside a group is not counted, nor a transaction that carried none.
             */
            commits_total: number;
            /** Format: int64 */
            committed_requests_total: number;
            /**
             * Format: int64
             * @description Reads proven cheap that ran on the server's event loop instead of a blocking thread
             *     (see docs/ARCHITECTURE.md).
             */
            inline_reads_total?: number;
        };
        /** @description Answer of `GET /health` and `GET /ready`. */
        HealthStatus: {
            /** @description `ok` (health) or `ready` (readiness). */
            status: string;
            version: string;
        };
        /** @description What `POST /admin/databases/{name}/import` did. */
        ImportResult: {
            database: string;
            /** @description `sqlite`, `sql`, `csv`, `json` or `ndjson`. */
            format: string;
            /** @description The table the rows went to (CSV, JSON, NDJSON). */
            table?: string | null;
            /** @description Whether the import created the database. */
            created_database: boolean;
            /** @description Whether the import created the table. */
            created_table: boolean;
            /**
             * Format: int64
             * @description Rows inserted (CSV, JSON, NDJSON) or statements run (SQL); 0 for a SQLite file.
             */
            count: number;
            /**
             * Format: int64
             * @description The bytes uploaded.
             */
            bytes: number;
        };
        IndexInfo: {
            name: string;
            unique: boolean;
            columns: string[];
            /** @description `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (primary key). */
            origin: string;
            partial: boolean;
        };
        /** @description Answer of `POST /api/db/{name}/tables/{table}/rows`. */
        InsertRowsResponse: {
            /** Format: int64 */
            inserted: number;
            /** @description The rowid of each inserted row, in order (absent values for WITHOUT ROWID tables). */
            rowids: (number | null)[];
        };
        /** @description One Ed25519 public key (RFC 8037: `kty` `OKP`, `crv` `Ed25519`). */
        Jwk: {
            kty: string;
            crv: string;
            /** @description The public key, base64url without padding. */
            x: string;
            /** @description The key's id, as tokens name it in their header. */
            kid: string;
            alg: string;
            use: string;
        };
        /**
         * @description `GET /.well-known/jwks.json`: the public keys that verify the server's tokens (RFC 7517), so
         *     other services can check a token without asking the server.
         */
        Jwks: {
            keys: components["schemas"]["Jwk"][];
        };
        /** @description A key as the server tells it. */
        KeyInfo: {
            /** @description The key's id, for `DELETE /admin/keys/{id}` and rotation. */
            id: string;
            name: string;
            /** @description The secret's first characters, to tell keys apart (`dbf_1a2b`). */
            prefix: string;
            role: components["schemas"]["Role"];
            databases: string[];
            can_create: boolean;
            created_at: string;
            expires_at?: string | null;
            /** @description When the key was last accepted, since the server started; null if not since then. */
            last_used_at?: string | null;
        };
        /** @description `GET /admin/keys`. */
        KeyList: {
            keys: components["schemas"]["KeyInfo"][];
        };
        /** @description Query latency percentiles since start, in milliseconds. */
        LatencyPercentiles: {
            /** Format: int64 */
            count: number;
            /** Format: double */
            p50_ms: number;
            /** Format: double */
            p90_ms: number;
            /** Format: double */
            p99_ms: number;
            /** Format: double */
            max_ms: number;
        };
        /** @description Where a branch came from. */
        Lineage: {
            /** @description The database it was branched from (which may be gone since). */
            parent: string;
            /** @description RFC 3339 time of the point it copies. */
            branched_at: string;
        };
        /**
         * @description `GET /api/me`: who the caller is and what it may do, so a client (the dashboard) shows only
         *     what the credential allows.
         */
        Me: {
            kind: components["schemas"]["CredentialKind"];
            /** @description The key's id (`key_...`), the token's id (`tok_...`), or null for the bootstrap key. */
            id?: string | null;
            /** @description The key's name; null for the bootstrap key and tokens. */
            name?: string | null;
            /** @description `admin`, `read_write` or `read_only` (a token's access as a role). */
            role: components["schemas"]["Role"];
            /** @description The databases it reaches: names and prefixes (`*` for every database). */
            databases: string[];
            /** @description Whether it may create (and delete) databases its patterns match. */
            can_create: boolean;
            /** @description Whether it may manage the gateway: keys, tokens of every database, statistics, activity. */
            is_admin: boolean;
        };
        /** @description `POST /admin/databases/{name}/tokens`. */
        MintTokenRequest: {
            access: components["schemas"]["TokenAccess"];
            /**
             * @description How long the token works: `90s`, `15m`, `1h`, `7d` (default `1h`; at most the server's
             *     `--token-max-lifetime`, and never past the expiry of the key that mints it).
             */
            expires_in?: string | null;
        };
        /** @description A minted token: the token itself is answered only here (the server keeps no copy). */
        MintedToken: {
            /**
             * @description An EdDSA-signed JWT. Send it as `Authorization: Bearer` or `X-API-Key`, or give it to a
             *     libSQL client as `authToken`.
             */
            token: string;
            /** @description The token's id (its `jti`), as the server's logs name it. */
            id: string;
            database: string;
            access: components["schemas"]["TokenAccess"];
            /** @description RFC 3339, UTC. */
            expires_at: string;
        };
        Params: (null | number | string | boolean | {
            base64: string;
        } | {
            integer: string;
        } | {
            real: string;
        })[] | {
            [key: string]: null | number | string | boolean | {
                base64: string;
            } | {
                integer: string;
            } | {
                real: string;
            };
        };
        /** @description Body of `POST /api/db/{name}/query`: either `sql` (+ `params`) or `statements`. */
        QueryRequest: {
            /**
             * @description One statement (a trailing `;` is fine). Several statements separated by `;` run as a
             *     batch, like `statements`, when no `params` are given.
             */
            sql?: string | null;
            params?: components["schemas"]["Params"];
            /** @description Several statements run atomically in one transaction: all succeed or none is applied. */
            statements?: components["schemas"]["StatementRequest"][] | null;
            row_format?: components["schemas"]["RowFormat"];
            lossless?: boolean;
        };
        /** @description The answer of the query endpoint: one result for a single statement, a batch otherwise. */
        QueryResponse: components["schemas"]["BatchResult"] | components["schemas"]["StatementResult"];
        /** @description Body of `POST /admin/databases/{name}/restore`. */
        RestoreRequest: {
            /** @description The backup's id. */
            backup: string;
            /** @description Restore into a new database of this name (the source database may be gone). */
            as?: string | null;
            /** @description Restore in place: the database's own name, to confirm that its content is replaced. */
            confirm?: string | null;
        };
        /**
         * @description What a key may do.
         * @enum {string}
         */
        Role: "admin" | "read_write" | "read_only";
        /**
         * @description How rows are shaped in a result.
         * @enum {string}
         */
        RowFormat: "objects" | "arrays";
        /** @description A page of rows from `GET /api/db/{name}/tables/{table}/rows`. */
        RowsPage: {
            columns: string[];
            rows: Record<string, unknown>[];
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
            /**
             * Format: int64
             * @description For keyset paging by rowid: pass as `after` to continue; null on the last page.
             */
            next_after?: number | null;
            /**
             * Format: int64
             * @description For offset paging: the next offset; null on the last page.
             */
            next_offset?: number | null;
        };
        /**
         * @description `GET /admin/config`: the effective configuration. Secrets never appear: the admin key is
         *     shown masked, with where it comes from.
         */
        ServerConfig: {
            version: string;
            listen: string;
            data_dir: string;
            config_file?: string | null;
            /** @description Always masked. */
            admin_key: string;
            /** @description `configured`, `key file` (generated on first start and stored), or `dev only`. */
            admin_key_source: string;
            dev: boolean;
            durability: string;
            log_format: string;
            log: string;
            /** Format: int64 */
            shutdown_timeout_ms: number;
            limits: components["schemas"]["ServerLimits"];
        };
        /** @description The limits the gateway enforces, as configured. */
        ServerLimits: {
            /** Format: int64 */
            statement_timeout_ms: number;
            /** Format: int64 */
            max_result_rows: number;
            /** Format: int64 */
            max_result_bytes: number;
            /** Format: int64 */
            max_sql_length: number;
            /** Format: int64 */
            max_statements: number;
            /** Format: int64 */
            max_body_bytes: number;
            /**
             * Format: int64
             * @description Default size quota of a database.
             */
            max_database_size: number;
            /** Format: int64 */
            max_open_databases: number;
            /** Format: int64 */
            idle_timeout_ms: number;
            /** Format: int64 */
            write_queue_depth: number;
            /** Format: int64 */
            readers_per_database: number;
            /**
             * Format: int64
             * @description Requests kept by the activity log.
             */
            activity_capacity: number;
            /**
             * Format: int64
             * @description libSQL streams: idle time before one is closed.
             */
            stream_idle_timeout_ms: number;
            /**
             * Format: int64
             * @description libSQL streams: the longest one transaction may hold a database's writer.
             */
            write_transaction_timeout_ms: number;
            /**
             * Format: int64
             * @description libSQL streams: the longest a BEGIN waits for another transaction.
             */
            transaction_busy_timeout_ms: number;
            /**
             * Format: int64
             * @description libSQL streams open at once.
             */
            max_streams: number;
            /**
             * Format: int64
             * @description libSQL streams open at once on one database.
             */
            max_streams_per_database?: number;
            /**
             * Format: int64
             * @description libSQL read transactions: the longest one stays open.
             */
            read_transaction_timeout_ms?: number;
            /**
             * Format: int64
             * @description Bytes of SQL stored per libSQL stream, per database and in all.
             */
            max_stored_sql_per_stream?: number;
            /** Format: int64 */
            max_stored_sql_per_database?: number;
            /** Format: int64 */
            max_stored_sql?: number;
            /**
             * Format: int64
             * @description The longest a request may take, its body included.
             */
            request_timeout_ms?: number;
            /**
             * Format: int64
             * @description The longest a client may take to send a body.
             */
            body_read_timeout_ms?: number;
            /**
             * Format: int64
             * @description The longest a client may take to send a request head, and an idle connection's life.
             */
            header_read_timeout_ms?: number;
            /**
             * Format: int64
             * @description Connections open at once, and per client address.
             */
            max_connections?: number;
            /** Format: int64 */
            max_connections_per_ip?: number;
            /**
             * Format: int64
             * @description Request bodies, and results, held in memory at once over all requests.
             */
            max_body_memory?: number;
            /** Format: int64 */
            max_result_memory?: number;
            /**
             * Format: int64
             * @description Largest string or blob, and most parameters of one statement.
             */
            max_value_bytes?: number;
            /** Format: int64 */
            max_sql_params?: number;
            /**
             * Format: int64
             * @description SQLite's heap, process-wide.
             */
            sqlite_memory_limit?: number;
            /**
             * Format: int64
             * @description Free disk kept: below it, writes and new databases are refused.
             */
            min_free_disk?: number;
        };
        /** @description Optional body of `POST /admin/databases/spawn/{name}`. */
        SpawnRequest: {
            limits?: components["schemas"]["DatabaseLimits"];
            /**
             * @description Time to live (`"30m"`, `"7d"`; a second or more): the database is deleted once it
             *     has passed. `PATCH /admin/databases/{name}` extends or clears it.
             */
            ttl?: string | null;
        };
        /** @description One SQL statement with its parameters. */
        StatementRequest: {
            sql: string;
            params?: components["schemas"]["Params"];
        };
        /** @description The result of one statement. */
        StatementResult: {
            columns: string[];
            /** @description Declared types of the result columns (`null` for expressions). */
            column_types: (string | null)[];
            /**
             * @description Objects keyed by column name, or arrays when `row_format` is `arrays`; values as in
             *     [`Value`].
             */
            rows: unknown[];
            /** Format: int64 */
            rows_affected: number;
            /**
             * Format: int64
             * @description The rowid of the last row this statement inserted, if it inserted one.
             */
            last_insert_rowid?: number | null;
            /** @description True when the result was cut at the row or byte limit; the statement itself ran fully. */
            truncated: boolean;
        };
        /** @description A table or view with its schema. */
        TableInfo: {
            name: string;
            type: components["schemas"]["TableKind"];
            sql?: string | null;
            without_rowid: boolean;
            strict: boolean;
            columns: components["schemas"]["ColumnInfo"][];
            indexes: components["schemas"]["IndexInfo"][];
            foreign_keys: components["schemas"]["ForeignKeyInfo"][];
            /**
             * @description Why the columns, indexes and foreign keys could not be read (a view whose definition
             *     fails, say); they are empty then. Absent when all is well.
             */
            error?: string | null;
        };
        /**
         * @description What a schema object is.
         * @enum {string}
         */
        TableKind: "table" | "view";
        TableList: {
            tables: components["schemas"]["TableInfo"][];
        };
        /** @description `GET /admin/gateway/timeseries`: recent traffic in fixed intervals, oldest first. */
        Timeseries: {
            /** Format: double */
            interval_seconds: number;
            /** @description Closed intervals, then the open one (whose `seconds` is shorter). */
            points: components["schemas"]["TrafficPoint"][];
            /** @description The databases with the most requests among the recent activity, busiest first. */
            busiest: components["schemas"]["BusyDatabase"][];
        };
        /**
         * @description What a token may do to its one database.
         * @enum {string}
         */
        TokenAccess: "read_only" | "read_write";
        /**
         * @description `POST /admin/databases/{name}/tokens/revoke` and `POST /admin/tokens/revoke`: every token
         *     minted before is refused from now on.
         */
        TokensRevoked: {
            /** @description The database whose tokens were revoked; null when every token of the server was. */
            database?: string | null;
            /**
             * Format: int64
             * @description The revocation epoch now in force (tokens carry the epoch they were minted in).
             */
            epoch: number;
        };
        /** @description One interval of traffic. */
        TrafficPoint: {
            /**
             * Format: int64
             * @description Unix time of the interval's start, in milliseconds.
             */
            start_ms: number;
            /**
             * Format: double
             * @description Seconds the interval covers: the full interval, or less for the one still open.
             */
            seconds: number;
            /**
             * Format: int64
             * @description HTTP requests answered.
             */
            requests: number;
            /**
             * Format: int64
             * @description Answers with a 4xx status.
             */
            client_errors: number;
            /**
             * Format: int64
             * @description Answers with a 5xx status.
             */
            server_errors: number;
            /**
             * Format: int64
             * @description Query requests (`POST /api/db/{name}/query`) and those that failed.
             */
            queries: number;
            /** Format: int64 */
            query_errors: number;
            /**
             * Format: double
             * @description Query latency percentiles within the interval, in milliseconds (0 without queries).
             */
            query_p50_ms: number;
            /** Format: double */
            query_p99_ms: number;
        };
        /** @description Body of `PATCH /admin/databases/{name}`: a field left out stays as it is, `null` clears it. */
        UpdateDatabaseRequest: {
            /** @description A new time to live from now (`"30m"`, `"7d"`), or null: the database no longer expires. */
            ttl?: string | null;
            /** @description This database's backup interval (`"1h"`, or `"off"`), or null: the server's default. */
            backup_every?: string | null;
            /**
             * Format: int32
             * @description How many backups of this database to keep, or null: the server's default.
             */
            backup_keep?: number | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    jwks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Jwks"];
                };
            };
        };
    };
    list_activity: {
        parameters: {
            query?: {
                /** @description Entries per page (1 to the log's capacity, default 100). */
                limit?: number;
                /** @description Only entries older than this id (the previous page's `next_before`). */
                before?: number;
                /** @description Only requests to this database. */
                database?: string;
                /** @description Only routes containing this text, e.g. `query` or `/admin`. */
                route?: string;
                /** @description Only this HTTP method. */
                method?: string;
                /** @description A status code (`404`), a class (`4xx`) or `error` (400 and above). */
                status?: string;
                /** @description Only requests made with this key id. */
                key_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActivityList"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_audit: {
        parameters: {
            query?: {
                /** @description Only requests made with this key or token id (`key_...`, `tok_...`). */
                key?: string;
                /** @description Only requests made with this kind of credential: `bootstrap_admin`, `key` or `token`. */
                credential?: components["schemas"]["CredentialKind"];
                /** @description Only actions about this key (created, revoked or rotated). */
                target?: string;
                /** @description Only requests on this database. */
                database?: string;
                /** @description Only this action: method and route, e.g. `POST /admin/keys`. */
                action?: string;
                /** @description `ok` (answers under 400) or `error`. */
                outcome?: string;
                /** @description From this time on (RFC 3339). */
                since?: string;
                /** @description Before this time (RFC 3339). */
                until?: string;
                /** @description The `next_cursor` of the previous page: entries older than it. */
                before?: number;
                /** @description Entries per page (1-1000, default 100). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    server_config: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServerConfig"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_databases: {
        parameters: {
            query?: {
                /** @description Databases per page (1-1000, default 100). */
                limit?: number;
                /** @description Continue after this name (the previous page's `next_cursor`). */
                after?: string;
                /** @description Only names starting with this. */
                prefix?: string;
                /** @description Only names containing this. */
                search?: string;
                /**
                 * @description Order by `name` (default), `size`, `tables` or `created`; any order but by name
                 *     (ascending, without `search`) pages with `offset` instead of `after`.
                 */
                sort?: "name" | "size" | "tables" | "created";
                /** @description `asc` (default) or `desc`. */
                order?: "asc" | "desc";
                /** @description Databases to skip (offset paging; any order). */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseList"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_database: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_database: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description 1-64 of a-z 0-9 - _, starting with a letter or digit */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["SpawnRequest"] | null;
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_database: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    remove_database: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    update_database: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateDatabaseRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_backups: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupList"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_backup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    download_backup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The zstd-compressed snapshot */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/zstd": unknown;
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_backup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    branch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                /** @description The branch's name */
                new: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    import: {
        parameters: {
            query?: {
                /**
                 * @description `sqlite`, `sql`, `csv`, `json` or `ndjson`; else taken from the Content-Type
                 *     (`application/vnd.sqlite3`, `application/sql`, `text/csv`, `application/json`,
                 *     `application/x-ndjson`).
                 */
                format?: "sql" | "csv" | "json" | "ndjson" | "sqlite";
                /** @description The table rows go to (CSV, JSON, NDJSON); created when missing. */
                table?: string;
                /** @description What NULL looks like in CSV (default: an empty field). */
                null?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        /** @description The file to import */
        requestBody?: {
            content: {
                "application/octet-stream": unknown;
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportResult"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportResult"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    restore: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RestoreRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseInfo"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatabaseInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    mint_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MintTokenRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MintedToken"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    revoke_database_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokensRevoked"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    gateway_stats: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayStats"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    gateway_timeseries: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Timeseries"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_keys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_key: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateKeyRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedKey"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    revoke_key: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    rotate_key: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedKey"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    revoke_all_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokensRevoked"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    export: {
        parameters: {
            query?: {
                /** @description `sql` (default), `csv`, `json`, `ndjson` or `sqlite`. */
                format?: "sql" | "csv" | "json" | "ndjson" | "sqlite";
                /** @description One table (a SQL dump of it, or its rows). */
                table?: string;
                /** @description A read-only query whose rows to export (`csv`, `json`, `ndjson`). */
                sql?: string;
                /** @description How CSV writes NULL (default: an empty field; empty text is then written `""`). */
                null?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export, as an attachment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/sql": unknown;
                    "text/csv": unknown;
                    "application/json": unknown;
                    "application/x-ndjson": unknown;
                    "application/vnd.sqlite3": unknown;
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    run_query: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description database name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["QueryRequest"];
            };
        };
        responses: {
            /** @description one result for a single `sql`, else `{"results": [...]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueryResponse"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_tables: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TableList"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_table: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTableRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TableInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_table: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                table: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TableInfo"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    read_rows: {
        parameters: {
            query?: {
                /** @description Rows per page (default 100; at most the server's result row limit). */
                limit?: number;
                /** @description Rows to skip (offset paging). */
                offset?: number;
                /** @description Keyset paging: rows after this rowid in the chosen order (the previous page's `next_after`). */
                after?: number;
                /** @description Column to order by (default: rowid). */
                order_by?: string;
                /** @description `asc` (default) or `desc`. */
                order?: string;
                /** @description Include the rowid as a `_rowid_` column. */
                rowid?: boolean;
                /** @description Equality filters: `where.{column}={value}`, e.g. `where.status=active` (repeatable). */
                "where.{column}"?: string;
            };
            header?: never;
            path: {
                name: string;
                table: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RowsPage"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    insert_rows: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                table: string;
            };
            cookie?: never;
        };
        /** @description a row object, or {"rows": [row objects]} */
        requestBody: {
            content: {
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InsertRowsResponse"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthStatus"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": unknown;
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthStatus"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
}
