/** CSS imported as text (`with { type: 'text' }`): the renderer injects it as a <style> element. */
declare module '*.css' {
  const text: string;
  export default text;
}
