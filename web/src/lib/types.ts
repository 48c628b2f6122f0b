// The dashboard's names for the HTTP API's types. The wire types are generated from
// docs/openapi.json into api-schema.d.ts (`npm run types`); only what the document cannot say
// is written here.
import type { components } from "./api-schema";

type Schemas = components["schemas"];

export type ActivityEntry = Schemas["ActivityEntry"];
export type ActivityList = Schemas["ActivityList"];
export type AuditEntry = Schemas["AuditEntry"];
export type AuditPage = Schemas["AuditPage"];
export type BackupInfo = Schemas["BackupInfo"];
export type BackupKind = Schemas["BackupKind"];
export type BackupList = Schemas["BackupList"];
export type BackupStatus = Schemas["BackupStatus"];
export type ColumnDefinition = Schemas["ColumnDefinition"];
export type ColumnInfo = Schemas["ColumnInfo"];
export type CreateKeyRequest = Schemas["CreateKeyRequest"];
export type CreateTableRequest = Schemas["CreateTableRequest"];
export type CreatedKey = Schemas["CreatedKey"];
export type CredentialKind = Schemas["CredentialKind"];
export type DatabaseInfo = Schemas["DatabaseInfo"];
export type DatabaseList = Schemas["DatabaseList"];
export type GatewayStats = Schemas["GatewayStats"];
export type ImportResult = Schemas["ImportResult"];
export type KeyInfo = Schemas["KeyInfo"];
export type KeyList = Schemas["KeyList"];
export type Lineage = Schemas["Lineage"];
export type Me = Schemas["Me"];
export type MintTokenRequest = Schemas["MintTokenRequest"];
export type MintedToken = Schemas["MintedToken"];
export type QueryRequest = Schemas["QueryRequest"];
export type QueryResponse = Schemas["QueryResponse"];
export type RestoreRequest = Schemas["RestoreRequest"];
export type Role = Schemas["Role"];
export type ServerConfig = Schemas["ServerConfig"];
export type SpawnRequest = Schemas["SpawnRequest"];
export type StatementResult = Schemas["StatementResult"];
export type TableInfo = Schemas["TableInfo"];
export type TableList = Schemas["TableList"];
export type Timeseries = Schemas["Timeseries"];
export type TokenAccess = Schemas["TokenAccess"];
export type TokensRevoked = Schemas["TokensRevoked"];
export type TrafficPoint = Schemas["TrafficPoint"];
export type UpdateDatabaseRequest = Schemas["UpdateDatabaseRequest"];

/**
 * A SQLite value in a result (docs/API.md, "Values"): blobs, infinities and, in lossless mode,
 * integers beyond 2^53 come as tagged objects. The document types a result row only as `object`.
 */
export type CellValue =
  | null
  | number
  | string
  | { integer: string }
  | { base64: string }
  | { real: string };

/** A statement's result as the dashboard asks for it (`row_format: "arrays"`): rows of cells. */
export type ArrayResult = Omit<StatementResult, "rows"> & { rows: CellValue[][] };
