// GitHub renders `run-name` expressions; the simulator supports the one form the agent
// relies on (`${{ inputs.NAME }}`, also `github.event.inputs.NAME`). Unknown inputs render
// as an empty string, as GitHub's expression engine does for missing properties.
const EXPR = /\$\{\{\s*(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)\s*\}\}/g;

export function renderRunName(template: string | undefined, inputs: Record<string, string>, workflowName: string): string {
  if (template === undefined) return workflowName;
  return template.replace(EXPR, (_m, name: string) => inputs[name] ?? '');
}
