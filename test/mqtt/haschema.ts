// Home Assistant's MQTT discovery options, per platform, as its documentation lists them
// (home-assistant.io source/_integrations/<platform>.mqtt.markdown, "Configuration variables", and the
// discovery page for `origin` and `default_entity_id`), with the checks Home Assistant's schemas make
// (homeassistant/components/mqtt/{schemas,sensor,binary_sensor,text,event,button,notify}.py). Home
// Assistant drops a key it does not know from a discovery config without a word (REMOVE_EXTRA): a
// misspelt option would silently do nothing, so every key must be one of these.

/** Options every MQTT entity platform takes. */
const common = [
  'availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available', 'payload_not_available',
  'default_entity_id', 'object_id', 'device', 'origin', 'enabled_by_default', 'encoding', 'entity_category', 'entity_picture', 'icon',
  'json_attributes_template', 'json_attributes_topic', 'name', 'qos', 'unique_id',
];

/** Each platform's own options; `required` as its schema has them. */
export const platforms: Record<string, { options: string[]; required: string[] }> = {
  sensor: {
    options: ['state_topic', 'value_template', 'device_class', 'state_class', 'unit_of_measurement', 'expire_after', 'force_update', 'last_reset_value_template', 'options', 'suggested_display_precision'],
    required: ['state_topic'],
  },
  binary_sensor: {
    options: ['state_topic', 'value_template', 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_on', 'payload_off'],
    required: ['state_topic'],
  },
  notify: { options: ['command_topic', 'command_template', 'retain'], required: ['command_topic'] },
  text: {
    options: ['command_topic', 'command_template', 'state_topic', 'value_template', 'min', 'max', 'mode', 'pattern', 'retain'],
    required: ['command_topic'],
  },
  event: { options: ['state_topic', 'value_template', 'event_types', 'device_class'], required: ['state_topic', 'event_types'] },
  button: { options: ['command_topic', 'command_template', 'payload_press', 'retain', 'device_class'], required: ['command_topic'] },
};

const deviceKeys = ['configuration_url', 'connections', 'hw_version', 'identifiers', 'manufacturer', 'model', 'model_id', 'name', 'serial_number', 'suggested_area', 'sw_version', 'via_device'];
const originKeys = ['name', 'sw_version', 'support_url'];
const availabilityKeys = ['topic', 'payload_available', 'payload_not_available', 'value_template'];

// homeassistant/components/{sensor,binary_sensor,button,event}/const.py device classes this project may use.
const sensorClasses = ['signal_strength', 'monetary', 'timestamp', 'duration', 'data_size', 'enum'];
const binaryClasses = ['connectivity', 'problem'];
const stateClasses = ['measurement', 'total', 'total_increasing'];
// Topics Home Assistant subscribes to or publishes on: no wildcards when publishing, no empty levels.
const topic = /^[^#+\0]+$/;
// `<domain>.<object id>` as homeassistant/core.py valid_entity_id has it: lower-case letters, digits
// and _, no `__`, no _ at either end of either part.
const entityId = /^(?!.+__)(?!_)([\da-z_]+)(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;

/**
 * Everything in one discovery config that Home Assistant would drop, refuse or treat otherwise than
 * meant; empty when it takes the config as it is. `component` is the platform from the topic.
 */
export function discoveryProblems(component: string, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const platform = platforms[component];
  if (!platform) return [`${component} is not a platform this checker knows`];
  const known = new Set([...common, ...platform.options]);
  for (const key of Object.keys(config)) if (!known.has(key)) problems.push(`${key} is not an option of MQTT ${component}`);
  for (const key of platform.required) if (config[key] === undefined || config[key] === '') problems.push(`${key} is required`);

  if ('object_id' in config) problems.push('object_id is deprecated (default_entity_id instead)');
  const id = typeof config.default_entity_id === 'string' ? entityId.exec(config.default_entity_id) : null;
  if (!id) problems.push(`default_entity_id ${JSON.stringify(config.default_entity_id)} is not an entity id`);
  else if (id[1] !== component) problems.push(`default_entity_id is in domain ${id[1]}, not ${component}`);
  if (typeof config.unique_id !== 'string' || !config.unique_id) problems.push('unique_id is needed for a device and a default_entity_id');

  for (const key of ['state_topic', 'command_topic', 'json_attributes_topic', 'availability_topic'])
    if (key in config && (typeof config[key] !== 'string' || !topic.test(config[key] as string))) problems.push(`${key} is not a topic`);
  if ('qos' in config && ![0, 1, 2].includes(config.qos as number)) problems.push('qos must be 0, 1 or 2');
  if ('retain' in config && typeof config.retain !== 'boolean') problems.push('retain must be a boolean');
  if ('entity_category' in config && !['config', 'diagnostic'].includes(config.entity_category as string)) problems.push('entity_category must be config or diagnostic');
  if (component === 'sensor' && config.entity_category === 'config') problems.push('a sensor cannot be a config entity');
  if ('icon' in config && !/^[a-z0-9-]+:[a-z0-9-]+$/.test(String(config.icon))) problems.push('icon must be prefix:name');
  if ('enabled_by_default' in config && typeof config.enabled_by_default !== 'boolean') problems.push('enabled_by_default must be a boolean');

  const device = config.device as Record<string, unknown> | undefined;
  if (device !== undefined) {
    for (const key of Object.keys(device)) if (!deviceKeys.includes(key)) problems.push(`device.${key} is not a device option`);
    const identifiers = device.identifiers;
    if (!(Array.isArray(identifiers) && identifiers.length && identifiers.every((x) => typeof x === 'string' && x)) && !device.connections)
      problems.push('device needs identifiers or connections');
    for (const key of ['name', 'manufacturer', 'model', 'sw_version', 'serial_number', 'via_device'])
      if (key in device && typeof device[key] !== 'string') problems.push(`device.${key} must be a string`);
    if ('configuration_url' in device && !/^(https?:\/\/[^\s]+|homeassistant:\/\/[^\s]+)$/.test(String(device.configuration_url)))
      problems.push('device.configuration_url must be an http(s):// or homeassistant:// URL');
  }
  const origin = config.origin as Record<string, unknown> | undefined;
  if (origin !== undefined) {
    for (const key of Object.keys(origin)) if (!originKeys.includes(key)) problems.push(`origin.${key} is not an origin option`);
    if (typeof origin.name !== 'string' || !origin.name) problems.push('origin.name is required');
  }
  if ('availability' in config) {
    if ('availability_topic' in config) problems.push('availability and availability_topic exclude each other');
    const list = config.availability;
    if (!Array.isArray(list) || !list.length) problems.push('availability must be a list');
    else
      for (const entry of list as Record<string, unknown>[]) {
        for (const key of Object.keys(entry)) if (!availabilityKeys.includes(key)) problems.push(`availability.${key} is not an availability option`);
        if (typeof entry.topic !== 'string' || !topic.test(entry.topic)) problems.push('availability needs a topic');
      }
  }

  if (component === 'sensor') {
    const deviceClass = config.device_class as string | undefined;
    if (deviceClass !== undefined && !sensorClasses.includes(deviceClass)) problems.push(`device_class ${deviceClass} is not one this checker knows for sensors`);
    if ('state_class' in config && !stateClasses.includes(config.state_class as string)) problems.push(`state_class ${String(config.state_class)} is not a state class`);
    if (deviceClass === 'signal_strength' && !['dB', 'dBm'].includes(config.unit_of_measurement as string)) problems.push('signal_strength takes dB or dBm');
    if (deviceClass === 'monetary') {
      if (!/^[A-Z]{3}$/.test(String(config.unit_of_measurement))) problems.push('monetary takes an ISO 4217 currency as unit');
      if ('state_class' in config && config.state_class !== 'total') problems.push('monetary takes only state_class total');
    }
    if ('state_class' in config && 'options' in config) problems.push('an enum sensor has no state_class');
  }
  if (component === 'binary_sensor' && config.device_class !== undefined && !binaryClasses.includes(config.device_class as string))
    problems.push(`device_class ${String(config.device_class)} is not one this checker knows for binary sensors`);
  if (component === 'text') {
    const min = (config.min as number | undefined) ?? 0;
    const max = (config.max as number | undefined) ?? 255;
    if (!Number.isInteger(min) || min < 0) problems.push('min must be a whole number, 0 or more');
    if (!Number.isInteger(max) || max > 255) problems.push('max is at most 255 (the longest state)');
    if (min > max) problems.push('min is above max');
    if ('mode' in config && !['text', 'password'].includes(config.mode as string)) problems.push('mode must be text or password');
    if ('pattern' in config)
      try {
        new RegExp(String(config.pattern));
      } catch {
        problems.push('pattern is not a regular expression');
      }
  }
  if (component === 'event') {
    const types = config.event_types;
    if (!Array.isArray(types) || !types.length || !types.every((x) => typeof x === 'string' && x)) problems.push('event_types must be a list of names');
    if (config.device_class !== undefined && !['button', 'doorbell', 'motion'].includes(config.device_class as string)) problems.push('event device_class must be button, doorbell or motion');
  }
  if (component === 'button' && config.device_class !== undefined && !['identify', 'restart', 'update'].includes(config.device_class as string))
    problems.push('button device_class must be identify, restart or update');
  return problems;
}

/** `<prefix>/<component>/[<node_id>/]<object_id>/config`, ids of letters, digits, _ and -. */
export const discoveryTopic = /^[^/#+]+\/(?<component>[a-z_]+)\/(?:[A-Za-z0-9_-]+\/)?[A-Za-z0-9_-]+\/config$/;
