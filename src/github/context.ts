/** What every mode of the action is given, and what it returns to main.ts. */
import type { Repo } from './api';
import type { ActionEvent } from './event';
import type { ActionInputs } from './inputs';

export interface ActionContext {
  inputs: ActionInputs;
  event: ActionEvent;
  repo: Repo;
  apiUrl: string;
  /** The web address of the GitHub server (links to commits). */
  serverUrl: string;
  /** This workflow run's page (its log and artifacts), when running in Actions. */
  runUrl?: string;
  workspace: string;
  tempDir: string;
}

export interface ActionResult {
  /** pass, fail, inconclusive, skipped, rebased or reported. */
  verdict: string;
  regressions: number;
  markdownPath?: string;
  jsonPath?: string;
  /** Set when the step must fail, with the reason. */
  failure?: string;
}
