import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { explainKafkaError } from '../../kafka/consumer.js';
import type { CheckContext } from './context.js';
import { type Check, fail, pass } from './types.js';

const KAFKA_FIX = {
  topic: 'remove kafka.topic (Port grants <orgId>.github.runs) or ask Port which topic your organization has',
  group: 'remove kafka.groupId (default <orgId>.ghes-agent): Port\'s ACLs allow only groups starting with "<orgId>."',
};

/** A kafkajs error in words, naming the user and brokers the check used. */
function explain(ctx: CheckContext, err: unknown): string {
  const creds = ctx.facts.kafkaCredentials!;
  return explainKafkaError(err as Error, { ...ctx.config.kafka, username: creds.username, brokers: creds.brokers });
}

/** One TLS handshake per bootstrap broker, with the trust the agent uses. */
export const kafkaTls: Check<CheckContext> = {
  id: 'kafka.tls',
  part: 'kafka',
  needs: ['port.kafka-credentials'],
  async run(ctx) {
    const { ssl, caFile, tlsInsecureSkipVerify } = ctx.config.kafka;
    const brokers = ctx.facts.kafkaCredentials!.brokers;
    if (!ssl) return pass(`TLS is off (kafka.ssl: false) for ${brokers.join(', ')}; Port's brokers require it`);
    const ca = caFile ? [...rootCertificates, readFileSync(caFile, 'utf8')] : undefined;
    const problems: string[] = [];
    for (const hostPort of brokers) {
      const i = hostPort.lastIndexOf(':');
      const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
      const port = Number(hostPort.slice(i + 1));
      const code = await new Promise<string | undefined>((resolve) => {
        const socket = connect({
          host,
          port,
          ca,
          servername: isIP(host) ? undefined : host,
          rejectUnauthorized: !tlsInsecureSkipVerify,
          timeout: 10_000,
        });
        socket.once('secureConnect', () => (socket.end(), resolve(undefined)));
        socket.once('timeout', () => (socket.destroy(), resolve('TIMEOUT')));
        socket.once('error', (err: NodeJS.ErrnoException) => (socket.destroy(), resolve(err.code ?? err.message)));
      });
      if (code) problems.push(`${hostPort}: ${code}`);
    }
    if (problems.length) {
      const untrusted = problems.some((p) => /CERT|SELF_SIGNED|UNABLE_TO/.test(p));
      return fail(
        `TLS to the brokers failed (${problems.join('; ')})`,
        untrusted
          ? "give the brokers' CA bundle as kafka.caFile (Helm: caBundle.pem)"
          : 'allow egress to the brokers (Port: port 9196; NetworkPolicy egressPorts, firewall); Kafka does not go through an HTTP proxy',
      );
    }
    return pass(`TLS ${tlsInsecureSkipVerify ? 'NOT verified (kafka.tlsInsecureSkipVerify)' : 'verified'} for ${brokers.join(', ')}`);
  },
};

/** SASL: the brokers accept the user and password (an admin connection and DescribeCluster). */
export const kafkaSasl: Check<CheckContext> = {
  id: 'kafka.sasl',
  part: 'kafka',
  needs: ['kafka.tls'],
  async run(ctx) {
    const k = ctx.config.kafka;
    const creds = ctx.facts.kafkaCredentials!;
    const probe = ctx.kafka({
      brokers: creds.brokers,
      username: creds.username,
      password: creds.password,
      mechanism: k.saslMechanism,
      ssl: k.ssl,
      caFile: k.caFile,
      insecure: k.tlsInsecureSkipVerify,
      clientId: k.clientId,
      groupId: k.groupId,
      topic: k.topic,
    });
    ctx.facts.kafkaProbe = probe;
    try {
      const c = await probe.connect();
      return pass(
        `SASL ${k.saslMechanism.toUpperCase()} accepted for user ${creds.username} (cluster ${c.clusterId}, ${c.brokers} broker${c.brokers === 1 ? '' : 's'})`,
      );
    } catch (err) {
      const why = explain(ctx, err);
      return fail(
        `the brokers refused the connection: ${why}`,
        k.brokers.length
          ? 'check kafka.username, kafka.password(File) and kafka.saslMechanism'
          : "Port's credentials were refused: regenerate them in Port, or check kafka.saslMechanism (Port: scram-sha-512)",
      );
    }
  },
};

/** The topic exists and this user may READ it: metadata, then a one-byte Fetch of one partition. */
export const kafkaTopic: Check<CheckContext> = {
  id: 'kafka.topic',
  part: 'kafka',
  needs: ['kafka.sasl'],
  async run(ctx) {
    const { topic } = ctx.config.kafka;
    const creds = ctx.facts.kafkaCredentials!;
    const probe = ctx.facts.kafkaProbe!;
    let partitions: number[];
    try {
      partitions = await probe.partitions(topic);
      if (partitions.length === 0) return fail(`topic ${topic} has no partitions`, KAFKA_FIX.topic);
      await probe.fetchOne(topic, partitions[0]!);
    } catch (err) {
      return fail(explain(ctx, err), KAFKA_FIX.topic);
    }
    return pass(
      `topic ${topic} readable by ${creds.username} (${partitions.length} partitions; read with a one-byte Fetch, nothing consumed)`,
    );
  },
};

/** The consumer group allowed by the ACLs: DescribeGroups and OffsetFetch, without joining or committing. */
export const kafkaGroup: Check<CheckContext> = {
  id: 'kafka.group',
  part: 'kafka',
  needs: ['kafka.sasl'],
  async run(ctx) {
    const { groupId, topic } = ctx.config.kafka;
    const probe = ctx.facts.kafkaProbe!;
    try {
      const g = await probe.describeGroup(groupId);
      const offsets = await probe.committedOffsets(groupId, topic);
      const committed = offsets.filter((o) => Number(o.offset) >= 0).length;
      const members = g.members ? `${g.members} member${g.members === 1 ? '' : 's'} (other replicas running)` : 'no members';
      return pass(
        `consumer group ${groupId} allowed (${g.state}, ${members}; offsets committed on ${committed} of ${offsets.length} partitions); not joined`,
      );
    } catch (err) {
      return fail(explain(ctx, err), KAFKA_FIX.group);
    }
  },
};

export const kafkaChecks = [kafkaTls, kafkaSasl, kafkaTopic, kafkaGroup];
