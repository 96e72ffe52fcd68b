import { Injectable } from '@nestjs/common';

/** Whether the embedded sink is running (set at boot), which turns the Dev mailbox page on. */
@Injectable()
export class DevMailState {
  enabled = false;
}
