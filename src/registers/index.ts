// Register naming (setpci style) and bit fields: the public surface of src/registers.

export type { CapDef, FieldDef, FieldKind, FieldRegister, RegisterDef, RegisterName, Space, Width } from './types.js';
export { compileLayout, nameRegister, type CompiledLayout, type DeviceLayout } from './layout.js';
export { capName, ecapName, capByName, stdCap, extCap, allStdCaps, allExtCaps, type IndexedCap } from './cap-table.js';
export { headerKind, headerTable, headerRegisterByName, type HeaderKind } from './header.js';
export {
  afterWrite, describeFields, diffFields, fieldView, rw1cMask,
  type FieldChange, type FieldValue, type FieldView, type PlacedField,
} from './fields.js';
