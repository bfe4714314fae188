// The contract's types, enumerations, form rules and commands are generated from the Rust
// definitions (bindings.ts; see src-tauri/src/bindings.rs). This module re-exports them under the
// names the UI uses and adds what only the UI has: event payloads.
import type { ListFilters, SessionInfo } from './bindings'

export * from './bindings'

export type Session = SessionInfo
export type ListQuery = ListFilters

export interface RecordsChangedPayload {
  ids: string[]
}
