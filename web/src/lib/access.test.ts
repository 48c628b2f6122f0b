import { describe, expect, it } from "vitest";
import {
  describeCredential,
  expiresAt,
  libsqlSnippet,
  looksLikeToken,
  mayCopy,
  mayCreate,
  mayManage,
  mayMintTokens,
  mayRevokeTokens,
  mayWrite,
  newDatabaseProblem,
  normalizeCredential,
  parsePatterns,
  patternMatches,
  patternProblem,
  sees,
} from "./access";
import type { Me } from "./types";

const admin: Me = { kind: "bootstrap_admin", id: null, name: null, role: "admin", databases: ["*"], can_create: true, is_admin: true };
const adminKey: Me = { kind: "key", id: "key_a", name: "ops", role: "admin", databases: ["*"], can_create: true, is_admin: true };
const writer: Me = { kind: "key", id: "key_w", name: "ci", role: "read_write", databases: ["ci-*", "shop"], can_create: true, is_admin: false };
const plainWriter: Me = { ...writer, can_create: false };
// The server answers can_create as granted, even for a read-only key that may not create.
const reader: Me = { kind: "key", id: "key_r", name: "reader", role: "read_only", databases: ["shop"], can_create: true, is_admin: false };
const token: Me = { kind: "token", id: "tok_0123456789abcdef", name: null, role: "read_write", databases: ["shop"], can_create: false, is_admin: false };

describe("access", () => {
  it("matches names and prefixes", () => {
    expect(patternMatches("shop", "shop")).toBe(true);
    expect(patternMatches("shop", "shop2")).toBe(false);
    expect(patternMatches("ci-*", "ci-1")).toBe(true);
    expect(patternMatches("ci-*", "ci-")).toBe(true);
    expect(patternMatches("ci-*", "c")).toBe(false);
    expect(patternMatches("*", "anything")).toBe(true);
  });
  it("tells which databases a credential sees", () => {
    expect(sees(admin, "x")).toBe(true);
    expect(sees(writer, "ci-7")).toBe(true);
    expect(sees(writer, "shop")).toBe(true);
    expect(sees(writer, "other")).toBe(false);
    expect(sees(token, "shop")).toBe(true);
    expect(sees(token, "shop-2")).toBe(false);
  });
  it("lets only writers write", () => {
    expect(mayWrite(admin)).toBe(true);
    expect(mayWrite(writer)).toBe(true);
    expect(mayWrite(token)).toBe(true);
    expect(mayWrite(reader)).toBe(false);
    expect(mayWrite({ ...token, role: "read_only" })).toBe(false);
  });
  it("lets admins and read-write keys with can_create create within their patterns", () => {
    expect(mayCreate(admin)).toBe(true);
    expect(mayCreate(adminKey, "x")).toBe(true);
    expect(mayCreate(writer)).toBe(true);
    expect(mayCreate(writer, "ci-new")).toBe(true);
    expect(mayCreate(writer, "elsewhere")).toBe(false);
    expect(mayCreate(plainWriter)).toBe(false);
    expect(mayCreate(reader), "a read-only key never creates, whatever can_create says").toBe(false);
    expect(mayCreate(token)).toBe(false);
  });
  it("lets only those who may delete a database manage its lifecycle, and creators branch and restore as new", () => {
    expect(mayManage(admin, "x")).toBe(true);
    expect(mayManage(writer, "ci-7")).toBe(true);
    expect(mayManage(writer, "other")).toBe(false);
    expect(mayManage(plainWriter, "shop"), "a writer without can_create backs up nothing").toBe(false);
    expect(mayManage(reader, "shop")).toBe(false);
    expect(mayManage(token, "shop")).toBe(false);
    expect(mayCopy(admin)).toBe(true);
    expect(mayCopy(writer)).toBe(true);
    expect(mayCopy(plainWriter)).toBe(false);
    expect(mayCopy(reader)).toBe(false);
    expect(mayCopy(token)).toBe(false);
  });
  it("checks the name of a new database: its form, then the credential's reach", () => {
    expect(newDatabaseProblem(admin, "shop-2")).toBeNull();
    expect(newDatabaseProblem(admin, "Shop")).toMatch(/Use 1-64 of a-z/);
    expect(newDatabaseProblem(writer, "ci-branch")).toBeNull();
    expect(newDatabaseProblem(writer, "elsewhere")).toBe("This key may create only databases matching ci-*, shop.");
  });
  it("lets keys mint and revokers revoke", () => {
    expect(mayMintTokens(admin)).toBe(true);
    expect(mayMintTokens(reader)).toBe(true);
    expect(mayMintTokens(token)).toBe(false);
    expect(mayRevokeTokens(admin, "shop")).toBe(true);
    expect(mayRevokeTokens(writer, "shop")).toBe(true);
    expect(mayRevokeTokens(plainWriter, "shop")).toBe(false);
    expect(mayRevokeTokens(token, "shop")).toBe(false);
  });
  it("describes who is signed in", () => {
    expect(describeCredential(admin)).toEqual({ kind: "Bootstrap admin key", role: "admin" });
    expect(describeCredential(writer)).toEqual({ kind: "Key", who: "ci", role: "read-write" });
    expect(describeCredential({ ...reader, name: null })).toMatchObject({ who: "key_r", role: "read-only" });
    expect(describeCredential(token)).toEqual({ kind: "Token", who: "tok_0123456789abcdef", role: "read-write", database: "shop" });
  });
  it("reads database patterns from the form and checks them", () => {
    expect(parsePatterns(" shop, ci-*\nlogs  shop,,")).toEqual(["shop", "ci-*", "logs"]);
    expect(parsePatterns("  ")).toEqual([]);
    expect(patternProblem("shop")).toBeNull();
    expect(patternProblem("ci-*")).toBeNull();
    expect(patternProblem("*")).toBeNull();
    expect(patternProblem("Shop")).toMatch(/neither a database name/);
    expect(patternProblem("a*b")).not.toBeNull();
    expect(patternProblem("**")).not.toBeNull();
    expect(patternProblem("-x*")).not.toBeNull();
  });
  it("cleans a pasted key or token", () => {
    expect(normalizeCredential("  dbf_abc \n")).toBe("dbf_abc");
    expect(normalizeCredential("Bearer dbf_abc")).toBe("dbf_abc");
    expect(normalizeCredential("eyJhbGc.eyJz\nd.c2ln ")).toBe("eyJhbGc.eyJzd.c2ln");
    expect(normalizeCredential("my admin key")).toBe("my admin key");
    expect(looksLikeToken("eyJa.eyJb.c")).toBe(true);
    expect(looksLikeToken("dbf_0123")).toBe(false);
    expect(looksLikeToken("eyJa.b")).toBe(false);
  });
  it("turns the expiry choice into RFC 3339 in UTC", () => {
    const now = new Date("2026-03-01T10:20:30.456Z");
    expect(expiresAt("", "", now)).toBeUndefined();
    expect(expiresAt("7", "", now)).toBe("2026-03-08T10:20:30Z");
    expect(expiresAt("date", "2027-01-31", now)).toBe("2027-01-31T00:00:00Z");
    expect(expiresAt("date", "", now)).toBeNull();
    expect(expiresAt("date", "2026-03-01", now), "today's midnight is past").toBeNull();
  });
  it("writes the libSQL snippet with the database's URL and the token", () => {
    expect(libsqlSnippet("http://127.0.0.1:8081", "shop", "eyJ.x.y")).toBe(
      'import { createClient } from "@libsql/client";\nconst client = createClient({ url: "http://127.0.0.1:8081/hrana/shop/", authToken: "eyJ.x.y" });',
    );
    expect(libsqlSnippet("https://db.example/", "a_b", "t")).toContain('url: "https://db.example/hrana/a_b/"');
  });
});
