// server.properties for a single-node KRaft broker secured like Port's: clients only ever
// reach a SASL_SSL + SCRAM-SHA-512 listener. The controller and inter-broker listeners are
// PLAINTEXT on 127.0.0.1 (SCRAM is not available on controller listeners, and a one-node
// cluster gains nothing from securing its traffic with itself); they authenticate as
// ANONYMOUS, which is therefore a super user.

export interface BrokerPorts {
  client: number;
  internal: number;
  controller: number;
}

export interface BrokerPropertiesInput {
  ports: BrokerPorts;
  logDir: string;
  /** PEM file holding the broker's PKCS#8 private key followed by its certificate chain. */
  keystoreFile: string;
  advertisedHost: string;
}

export function brokerProperties(input: BrokerPropertiesInput): string {
  const { ports, logDir, keystoreFile, advertisedHost } = input;
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${ports.controller}`,
    listeners: `CLIENT://127.0.0.1:${ports.client},INTERNAL://127.0.0.1:${ports.internal},CONTROLLER://127.0.0.1:${ports.controller}`,
    // Metadata answers carry the listener the client connected on, so clients see only CLIENT.
    'advertised.listeners': `CLIENT://${advertisedHost}:${ports.client},INTERNAL://127.0.0.1:${ports.internal}`,
    'listener.security.protocol.map': 'CLIENT:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'controller.listener.names': 'CONTROLLER',

    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.client.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.client.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // Kafka 3.x reads PEM keystores directly (KIP-651): no keytool/JKS round trip needed.
    'listener.name.client.ssl.keystore.type': 'PEM',
    'listener.name.client.ssl.keystore.location': keystoreFile,
    'listener.name.client.ssl.client.auth': 'none',

    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin;User:ANONYMOUS',
    'allow.everyone.if.no.acl.found': 'false',
    'auto.create.topics.enable': 'false',

    'log.dirs': logDir,
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    // Fewer internal partitions make the first consumer group join fast.
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '5',
    'group.initial.rebalance.delay.ms': '0',
    // Tests never need the 7-day default; keep the temp dir small.
    'log.retention.hours': '1',
    'log.segment.bytes': String(16 * 1024 * 1024),
    'controlled.shutdown.enable': 'true',
  };
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${escapeValue(v)}`)
      .join('\n') + '\n'
  );
}

// java.util.Properties treats backslashes as escapes; paths are the only values at risk.
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\');
}

export const LOG4J_PROPERTIES = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.org.apache.kafka=INFO',
  'log4j.logger.kafka=INFO',
  'log4j.logger.state.change.logger=WARN',
  'log4j.logger.kafka.authorizer.logger=WARN',
  '',
].join('\n');
