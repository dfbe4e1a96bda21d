package ai.infer4j.server.management;

import ai.infer4j.engine.io.AtomicFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.Engine;
import ai.infer4j.engine.error.ModelNotFoundException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Resolves the {@code url} of a registration to something the engine can load: a built-in name,
 * a file in the model store, a local path, or (only when it matches {@code allowed_urls}) a remote
 * archive downloaded into the cache. Anything else is refused.
 */
final class ModelSources {
    /** Largest archive downloaded from an allowed URL. */
    static final long MAX_DOWNLOAD_BYTES = 2L << 30;

    private final Path modelStore;
    private final List<Pattern> allowedUrls;
    private final Path downloadDir;

    ModelSources(Path modelStore, List<Pattern> allowedUrls, Path downloadDir) {
        this.modelStore = modelStore;
        this.allowedUrls = allowedUrls;
        this.downloadDir = downloadDir;
    }

    String resolve(String url) {
        if (url == null || url.isBlank()) throw new BadInputException("parameter 'url' is required (a .mar in the model store, a path, or a built-in name)");
        if (url.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            if (url.startsWith("file://")) return local(URI.create(url).getPath());
            if (allowedUrls.stream().noneMatch(p -> p.matcher(url).matches()))
                throw new BadInputException("url '" + url + "' is not allowed; add a matching pattern to allowed_urls to load remote models");
            return download(url);
        }
        if (Engine.BUILTIN_MODELS.contains(url)) return url;
        return local(url);
    }

    private String local(String p) {
        Path path = Path.of(p);
        if (!path.isAbsolute() && modelStore != null) {
            Path inStore = modelStore.resolve(p).normalize();
            if (!inStore.startsWith(modelStore.normalize()))
                throw new BadInputException("url '" + p + "' points outside the model store");
            if (Files.exists(inStore)) return inStore.toString();
        }
        if (Files.exists(path)) return path.toAbsolutePath().toString();
        throw new ModelNotFoundException("no model at '" + p + "'" + (modelStore != null ? " (model store: " + modelStore + ")" : ""));
    }

    private String download(String url) {
        String name = url.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (!name.endsWith(".mar")) name += ".mar";
        Path target = downloadDir.resolve(name);
        try {
            Files.createDirectories(downloadDir);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) throw new BadInputException("download of '" + url + "' failed with HTTP " + r.statusCode());
            AtomicFiles.write(target, out -> {
                try (InputStream in = r.body()) {
                    byte[] buf = new byte[1 << 16];
                    long total = 0;
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        total += n;
                        if (total > MAX_DOWNLOAD_BYTES) throw new IOException("archive larger than " + MAX_DOWNLOAD_BYTES + " bytes");
                        out.write(buf, 0, n);
                    }
                }
            });
            return target.toString();
        } catch (IOException e) {
            throw new BadInputException("download of '" + url + "' failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BadInputException("download of '" + url + "' was interrupted");
        }
    }
}
