//! What the handler tests share: AWS endpoints on this machine, and ones that misbehave.

/// A socket that accepts connections and then says nothing, like an overloaded endpoint.
pub async fn silent_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

/// AWS clients' settings for `endpoint`, with the functions' fail-fast timeouts.
pub async fn aws_at(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .timeout_config(adapters::aws::timeouts(
            election_core::bounds::Bounds::DEFAULT.operation,
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}
