import { ApiProperty } from '@nestjs/swagger';

export class MonitoringThresholds {
  @ApiProperty() queueDepthMax: number;
  @ApiProperty() failureRateMax: number;
  @ApiProperty() failureWindowMinutes: number;
  @ApiProperty() failureMinJobs: number;
  @ApiProperty() oldestWaitingMaxSeconds: number;
  @ApiProperty() dlqGrowthMax: number;
  @ApiProperty() stalledMax: number;
  @ApiProperty() emergencyStopMaxMinutes: number;
  @ApiProperty() cooldownSeconds: number;
}

export class MonitoringCheckView {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: [String], description: 'Condition keys found crossed' }) firing: string[];
  @ApiProperty({ type: [String], description: 'Conditions that raised a new alert' }) raised: string[];
  @ApiProperty({ type: [String], description: 'Conditions whose open alert was resolved' }) resolved: string[];
}

export class MonitoringStatusView {
  @ApiProperty({ description: 'False after POST /monitoring/stop: the scheduled checks do nothing' }) running: boolean;
  @ApiProperty({ type: String, nullable: true }) stoppedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) stoppedAt: string | null;
  @ApiProperty({ description: 'MONITORING_INTERVAL_MS; 0: no scheduled check' }) intervalMs: number;
  @ApiProperty({ type: MonitoringCheckView, nullable: true }) lastCheck: MonitoringCheckView | null;
  @ApiProperty({ type: MonitoringThresholds }) thresholds: MonitoringThresholds;
  @ApiProperty({ type: [String], description: 'Conditions not checked yet, and why' }) notChecked: string[];
}
