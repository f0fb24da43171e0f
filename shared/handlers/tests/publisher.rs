//! The publisher sets an unreadable record aside whole and publishes the records after it.

use adapters::memory::RecordingBus;
use handlers::publisher::publish_events;
use serde_json::Value;

#[tokio::test]
async fn an_unreadable_record_is_set_aside_and_the_shard_moves_on() {
    // GIVEN a batch: a ballot without its candidate, then a good ballot
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../events/publish-events.json",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let good = sample["Records"][0].clone();
    let mut bad = good.clone();
    bad["dynamodb"]["NewImage"]
        .as_object_mut()
        .unwrap()
        .remove("candidateId");
    bad["dynamodb"]["SequenceNumber"] = "110".into();
    let batch = serde_json::from_value(serde_json::json!({ "Records": [bad, good] })).unwrap();

    // WHEN it is published
    let bus = RecordingBus::default();
    let reply = publish_events(&bus, batch).await;

    // THEN no failure holds the shard back, the good ballot is on the bus, and the bad
    // record is kept with its image and the reason
    assert!(reply.batch_item_failures.is_empty());
    assert_eq!(bus.published().len(), 1);
    let kept: Vec<Value> = bus
        .set_aside()
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["record"]["dynamodb"]["SequenceNumber"], "110");
    assert!(kept[0]["record"]["dynamodb"]["NewImage"]["receiptId"].is_object());
    // Neither `candidateId` nor `encrypted`: no mark.
    assert!(kept[0]["reason"].as_str().unwrap().contains("enum Mark"), "{}", kept[0]);
}
