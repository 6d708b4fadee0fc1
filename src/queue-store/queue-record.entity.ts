import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Queue metadata. Paused state lives here too, so it survives a Redis restart. */
@Entity({ name: 'queues' })
export class QueueRecord {
  @PrimaryColumn('text')
  name: string;

  @Column('boolean')
  paused: boolean;

  @Column('timestamptz', { name: 'paused_at', nullable: true })
  pausedAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
