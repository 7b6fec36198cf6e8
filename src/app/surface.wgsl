// The loss surface: vertex colours (a perceptual colormap by height, set on
// the CPU), two-sided diffuse lighting, contour lines of the height and a
// faint coordinate grid.
#import bevy_pbr::forward_io::VertexOutput

struct SurfaceParams {
    contours: f32,
    grid: f32,
    shading: f32,
    _pad: f32,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: SurfaceParams;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    var base = vec3<f32>(0.6, 0.6, 0.6);
#ifdef VERTEX_COLORS
    base = in.color.rgb;
#endif
    let n = normalize(in.world_normal);
    let light = normalize(vec3<f32>(0.35, 1.0, 0.45));
    let diffuse = (1.0 - params.shading) + params.shading * abs(dot(n, light));
    var color = base * diffuse;
#ifdef VERTEX_UVS_A
    // Contour lines: one every 1/contours of the height range, about 1.5 px wide.
    let h = in.uv.y * params.contours;
    let f = fract(h);
    let width = max(fwidth(h), 1e-4);
    let line = 1.0 - smoothstep(0.0, 1.5 * width, min(f, 1.0 - f));
    color = mix(color, color * 0.3, line * 0.85);
#endif
    // A faint grid in the (a, b) plane.
    let g = in.world_position.xz * params.grid;
    let gw = max(fwidth(g), vec2<f32>(1e-4));
    let gd = abs(fract(g - 0.5) - 0.5) / gw;
    let grid_line = 1.0 - min(min(gd.x, gd.y), 1.0);
    color = mix(color, vec3<f32>(1.0, 1.0, 1.0), grid_line * 0.12);
    return vec4<f32>(color, 1.0);
}
