export type PortStatus = 'SUCCESS' | 'FAILURE';

/** As Port's own GitHub integration maps them: success, skipped and neutral succeed. */
export function portStatusFor(conclusion: string | null | undefined): PortStatus {
  return conclusion === 'success' || conclusion === 'skipped' || conclusion === 'neutral' ? 'SUCCESS' : 'FAILURE';
}

/** Port log line for a status the user should see while the run is not finished. */
export function statusLine(status: string): string | undefined {
  switch (status) {
    case 'requested':
    case 'queued':
    case 'pending':
      return 'Workflow run queued';
    case 'waiting':
      return 'Workflow run waiting for approval (a protected environment needs a reviewer)';
    case 'in_progress':
      return 'Workflow run in progress';
    default:
      return undefined;
  }
}
