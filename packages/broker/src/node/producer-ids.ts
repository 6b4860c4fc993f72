import { EddyError } from '@eddy/base';
import { type Messages, noError, type ServiceClient, toEddyError, toWireError } from '@eddy/protocol';

/** The largest producer epoch: RecordBatch headers carry it as an int16. */
const PRODUCER_EPOCH_MAX = 0x7fff;

/**
 * Hands out producer ids for InitProducerId from blocks the controller allocates to this
 * broker (AllocateProducerIds), so ids are unique across the cluster without a controller
 * round trip per producer. A producer that asks again with its id gets the next epoch.
 */
export class ProducerIdAllocator {
  private next = 0;
  private end = 0;
  private refill: Promise<void> | undefined;

  constructor(
    private readonly nodeId: number,
    private readonly brokerEpoch: () => number,
    private readonly controller: () => ServiceClient<'ControllerService'> | undefined,
  ) {}

  async initProducerId(request: Messages['InitProducerIdRequest']): Promise<Messages['InitProducerIdResponse']> {
    try {
      if (request.producerId >= 0n) {
        if (request.producerEpoch < 0 || request.producerEpoch >= PRODUCER_EPOCH_MAX) {
          // The epoch is exhausted (or invalid): start over with a fresh id.
          return { ...noError, producerId: BigInt(await this.allocate()), producerEpoch: 0 };
        }
        return { ...noError, producerId: request.producerId, producerEpoch: request.producerEpoch + 1 };
      }
      return { ...noError, producerId: BigInt(await this.allocate()), producerEpoch: 0 };
    } catch (error: unknown) {
      return { ...toWireError(error), producerId: -1n, producerEpoch: -1 };
    }
  }

  private async allocate(): Promise<number> {
    while (this.next >= this.end) {
      this.refill ??= this.fetchBlock().finally(() => (this.refill = undefined));
      await this.refill;
    }
    return this.next++;
  }

  private async fetchBlock(): Promise<void> {
    const controller = this.controller();
    const brokerEpoch = this.brokerEpoch();
    if (controller === undefined || brokerEpoch < 0) throw toEddyError('COORDINATOR_NOT_AVAILABLE', 'no controller to allocate producer ids from yet');
    const response = await controller.allocateProducerIds({ brokerId: this.nodeId, brokerEpoch: BigInt(brokerEpoch) });
    if (response.errorCode !== 'NONE') throw toEddyError(response.errorCode, response.errorMessage);
    if (response.producerIdCount <= 0) throw new EddyError('UNKNOWN_SERVER_ERROR', 'the controller allocated no producer ids');
    this.next = Number(response.producerIdStart);
    this.end = this.next + response.producerIdCount;
  }
}
