import { Injectable } from '@nestjs/common';

/**
 * Which demo tools answer, decided once at boot (server.ts): the Dev mailbox needs the embedded
 * sink (no SMTP_URL) and demo tools on; "reply as the patient" needs the simulated carrier and
 * demo tools on (config.ts: demoToolsOn).
 */
@Injectable()
export class DevMailState {
  enabled = false;
  simulatorControls = false;
}
