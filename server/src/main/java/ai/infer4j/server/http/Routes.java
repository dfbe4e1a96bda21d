package ai.infer4j.server.http;

import io.netty.handler.codec.http.HttpMethod;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * One listener's ordered route table: method, path pattern ({@code /predictions/{model}/{version}}; a
 * {@code {name}} segment binds a variable) and handler. The first route whose pattern and method match handles
 * the exchange; a path that matches with another method answers 405 with {@code Allow}; no match answers 404.
 */
public final class Routes {
    /** Handles one exchange; it must answer it, now or later (throwing answers with the mapped error). */
    @FunctionalInterface
    public interface Handler {
        void handle(Exchange x);
    }

    private record Route(HttpMethod method, String[] pattern, Handler handler) { }

    private final List<Route> routes = new ArrayList<>();
    private final String hint;

    /** @param hint what the 404 message suggests, e.g. {@code "use POST /predictions/{model}"} */
    public Routes(String hint) {
        this.hint = hint;
    }

    public Routes add(HttpMethod method, String pattern, Handler handler) {
        routes.add(new Route(method, split(pattern), handler));
        return this;
    }

    /** The same handler for several methods. */
    public Routes add(List<HttpMethod> methods, String pattern, Handler handler) {
        for (HttpMethod m : methods) add(m, pattern, handler);
        return this;
    }

    /** Runs {@code handler} on {@code executor} (for slow work that must not hold an I/O thread); failures are answered. */
    public static Handler on(Executor executor, Handler handler) {
        return x -> {
            x.body(); // the request buffer is released when dispatch returns
            executor.execute(() -> {
                try {
                    handler.handle(x);
                } catch (RuntimeException e) {
                    x.fail(e);
                }
            });
        };
    }

    /** Finds the route and runs it; a handler's exception is answered with the mapped JSON error. */
    public void dispatch(Exchange x) {
        String[] path = split(x.path());
        Set<String> allowed = new LinkedHashSet<>();
        for (Route r : routes) {
            if (!matches(r.pattern(), path, null)) continue;
            if (!r.method().equals(x.request().method())) {
                allowed.add(r.method().name());
                continue;
            }
            matches(r.pattern(), path, x);
            try {
                r.handler().handle(x);
            } catch (RuntimeException e) {
                x.fail(e);
            }
            return;
        }
        if (!allowed.isEmpty()) x.methodNotAllowed(String.join(", ", allowed));
        else x.respond(HttpSupport.error(404, "NotFound", "no endpoint " + x.request().method() + " " + x.path() + "; " + hint));
    }

    private static boolean matches(String[] pattern, String[] path, Exchange bind) {
        if (pattern.length != path.length) return false;
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{")) {
                if (path[i].isEmpty()) return false;
                if (bind != null) bind.bind(p.substring(1, p.length() - 1), path[i]);
            } else if (!p.equals(path[i])) {
                return false;
            }
        }
        return true;
    }

    private static String[] split(String path) {
        String p = path.replaceAll("^/+|/+$", "");
        return p.isEmpty() ? new String[0] : p.split("/+");
    }
}
