// How a database's lifecycle shows wherever it is listed: its time to live ("expires in 3h"),
// a warning when its backups are failing or behind, and the database it was branched from.
import { AlertTriangle, GitBranch, Hourglass } from "lucide-react";
import { formatDateTime } from "../lib/format";
import { backupAlert, expiresSoon, expiryLabel } from "../lib/lifecycle";
import { pathOf } from "../lib/router";
import type { BackupStatus, Lineage } from "../lib/types";
import { Link } from "./Link";

/** `expires in 3h`, the exact time on hover; amber within a day. */
export function ExpiryBadge({ expiresAt, now }: { expiresAt: string; now: number }) {
  return (
    <span className={expiresSoon(expiresAt, now) ? "badge warn life" : "badge subtle life"} title={`Deleted at ${formatDateTime(expiresAt)} (its time to live)`} data-testid="expiry">
      <Hourglass size={11} aria-hidden /> {expiryLabel(expiresAt, now)}
    </span>
  );
}

/** `backup failed` or `backup overdue`, with what is wrong on hover; nothing when all is well. */
export function BackupAlertBadge({ status }: { status: BackupStatus | null | undefined }) {
  const alert = backupAlert(status);
  if (!alert) return null;
  return (
    <span className="badge bad life" title={alert.detail} data-testid="backup-alert">
      <AlertTriangle size={11} aria-hidden /> {alert.label}
    </span>
  );
}

/** `branch of shop`, the parent a link (it may be gone since: its page then says so). */
export function LineageNote({ lineage }: { lineage: Lineage }) {
  return (
    <span className="lineage" title={`Branched at ${formatDateTime(lineage.branched_at)}`} data-testid="lineage">
      <GitBranch size={12} aria-hidden />
      <span>
        branch of{" "}
        <Link to={pathOf("databases", lineage.parent)} className="parent-link">
          {lineage.parent}
        </Link>
      </span>
    </span>
  );
}
