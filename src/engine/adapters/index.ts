/** Public API of adapters: LoRA files, their descriptions, and per-step stage schedules. */
export { parseSafetensors, tensorToFloat32, halfToFloat, DEFAULT_MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsFile, SafetensorsTensor, SafetensorsDtype, ParseOptions } from './safetensors';
export { parseAdapterDescription, ADAPTER_FORMAT, ADAPTER_FORMAT_VERSION } from './description';
export type { AdapterDescription, AdapterKind } from './description';
export { loadAdapter } from './adapter';
export type { LoadedAdapter, AdapterInput, TargetModel } from './adapter';
export type { LoraLayout } from '../lora-slots';
export { evenBlockGroups, groupOfBlock } from './block-groups';
export type { BlockGroups } from './block-groups';
export { parseStageBlender, blenderAlpha, BLENDER_FORMAT, BLENDER_FORMAT_VERSION } from './stage-blender';
export type { StageBlender, StageBlenderTable } from './stage-blender';
export {
  CONSTANT,
  curveSchedule,
  scheduleWeight,
  loraScalesForStep,
  stepContexts,
  dualRealAssignments,
} from './schedule';
export type { StageSchedule, CurveSpec, StepContext, SlotAssignment } from './schedule';
export { SafetensorsError, AdapterError, ScheduleError } from './errors';
export { parseLoraRequest, planSlots } from './slot-plan';
export type { LoraRequest, SlotPlan, SlotPlanEntry } from './slot-plan';
export type { BlendMode } from '../../package/request';
export { scaleSource } from './scale-source';
export type { SlotCallContext } from './scale-source';
export { pairDroppedFiles } from './dropped-files';
export type { DroppedFile, DroppedAdapters } from './dropped-files';
export { readShippedAdapter, readShippedBlender } from './shipped';
export { applySlotPlan, clearAdapters } from './apply-plan';
