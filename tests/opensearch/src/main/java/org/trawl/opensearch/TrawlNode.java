package org.trawl.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs a real single-node OpenSearch (server + modules from Maven Central) for
 * trawl's integration tests.
 *
 * Usage: TrawlNode STATE_DIR HTTP_PORT [CLUSTER_NAME]
 *
 * Data lives in STATE_DIR/data and survives a restart; SIGTERM closes the node
 * cleanly through a shutdown hook.
 */
public final class TrawlNode {
    /**
     * Node's constructor that takes plugin classes from the classpath (instead of
     * the modules/ directory of a distribution) is protected; this is all the
     * test framework's MockNode does too, minus its randomized-testing hooks
     * (which fail outside a RandomizedRunner).
     */
    static final class ClasspathNode extends Node {
        ClasspathNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private static final List<Class<? extends Plugin>> MODULES = List.of(
        Netty4Plugin.class,               // transport-netty4: HTTP + transport
        CommonAnalysisPlugin.class, // analysis-common: pattern tokenizer, lowercase filter
        MapperExtrasPlugin.class,   // mapper-extras: scaled_float
        PainlessPlugin.class,       // lang-painless
        ReindexPlugin.class         // reindex: _reindex, _delete_by_query, _update_by_query
    );

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TrawlNode STATE_DIR HTTP_PORT [CLUSTER_NAME]");
            System.exit(2);
        }
        Path state = Paths.get(args[0]).toAbsolutePath();
        String port = args[1];
        String clusterName = args.length > 2 ? args[2] : "trawl-test";
        Path home = state.resolve("home");
        Path data = state.resolve("data");
        Path logs = state.resolve("logs");
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        Files.createDirectories(data);
        Files.createDirectories(logs);

        Settings settings = Settings.builder()
            .put("cluster.name", clusterName)
            .put("node.name", "trawl-node")
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            // the disk of a test machine may be fairly full; never go read-only
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true)
            // Arkime sends large _bulk bodies
            .put("http.max_content_length", "200mb")
            .build();

        Logger logger = LogManager.getLogger(TrawlNode.class);
        long t0 = System.nanoTime();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "trawl-node");
        Node node = new ClasspathNode(env, MODULES);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            logger.info("shutdown: closing node");
            try {
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    logger.warn("shutdown: node did not close within 30s");
                }
                logger.info("shutdown: node closed");
            } catch (Exception e) {
                logger.error("shutdown: error closing node", e);
            } finally {
                stopped.countDown();
                LogManager.shutdown();
            }
        }, "trawl-shutdown"));

        node.start();
        // One node: indices created without an explicit number_of_replicas get
        // none, so that health can be green. This setting is read from the
        // cluster state (persistent cluster settings), not from node settings.
        node.client().admin().cluster().prepareUpdateSettings()
            .setPersistentSettings(Settings.builder().put("cluster.default_number_of_replicas", 0))
            .get();
        logger.info("trawl: node started in {} ms, http port {}, data {}",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), port, data);
        stopped.await();
    }
}
