// The Kafka client, loaded only by a process that exports to Kafka: @platformatic/kafka compiles
// its option schemas when imported, 0.4 s of CPU that every `iotcore serve` start paid without it.
export const loadKafkaProducer = () => import('./kafka-producer.js');
