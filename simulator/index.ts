// smsedge/simulator: a simulated GSM/LTE modem on the serialport mock binding.
export {
  createSimulator, SimulatorError, DEFAULT_USSD, FAULT_KINDS,
  type Simulator, type CreateSimulatorOptions, type ReceiveSmsOptions, type FaultKind, type FaultOptions, type Connection,
} from './simulator.ts';
export { simulatorBinding, PortGoneError, type SimulatorBinding } from './binding.ts';
export { createReplay, type Replay } from './replay.ts';
export {
  parseTranscript, formatTranscript, fromLines, hostBytes, escapeText, unescapeText, TranscriptError,
  type TranscriptEntry, type TranscriptStep,
} from './transcript.ts';
export { Modem, type DeliveryOutcome, type SentPart, type UssdNode, type Settings, type SimStatus } from './modem.ts';
export { profiles, isProfileName, type Profile, type ProfileName } from './profiles.ts';
export { defineBehavior, is, type Behavior, type Context } from './behavior.ts';
export { defaultBehaviors } from './behaviors/index.ts';
export { parseCommands, type Command } from './command.ts';
export { serveStdio } from './stdio.ts';
export { scenarios, type Scenario, type ScenarioName } from './scenarios/index.ts';
export { onSimulator } from './port.ts';
